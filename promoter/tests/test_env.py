import pytest

from promoter.env import ConfigError, database_from_url, email_from_url, env_bool, env_int


def test_env_bool_is_strict(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    assert env_bool("FLAG") is True
    monkeypatch.setenv("FLAG", "off")
    assert env_bool("FLAG", True) is False
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ConfigError, match="FLAG: expected true/false"):
        env_bool("FLAG")


def test_env_int_minimum(monkeypatch):
    monkeypatch.setenv("N", "0")
    with pytest.raises(ConfigError, match="N: must be at least 1"):
        env_int("N", 2, minimum=1)
    monkeypatch.setenv("N", "two")
    with pytest.raises(ConfigError, match="N: expected a whole number"):
        env_int("N", 2)


def test_value_from_file(monkeypatch, tmp_path):
    secret = tmp_path / "flag"
    secret.write_text("true\n")
    monkeypatch.delenv("FLAG", raising=False)
    monkeypatch.setenv("FLAG_FILE", str(secret))
    assert env_bool("FLAG") is True
    monkeypatch.setenv("FLAG_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="FLAG_FILE: cannot read"):
        env_bool("FLAG")


def test_embedded_database_is_sqlite_in_wal_with_immediate_transactions(tmp_path):
    config = database_from_url(None, data_dir=tmp_path)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "promoter.sqlite3")
    options = config["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert "busy_timeout" in options["init_command"]


def test_postgres_url():
    config = database_from_url("postgres://u:p@db.example:6432/promoter", data_dir=None)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["HOST"], config["PORT"], config["USER"]) == (
        "promoter",
        "db.example",
        6432,
        "u",
    )


@pytest.mark.parametrize(
    "url", ["nonsense", "mysql://root@localhost/x", "postgres://host:5432/", "sqlite://rel.db"]
)
def test_bad_database_urls(url):
    with pytest.raises(ConfigError, match=r"^DATABASE_URL: .*\[promoter.E001\]$"):
        database_from_url(url, data_dir=None)


def test_email_urls():
    smtp = email_from_url("smtp+tls://me%40x.org:s3cret@mail.x.org")
    assert smtp["EMAIL_HOST"] == "mail.x.org"
    assert smtp["EMAIL_PORT"] == 587
    assert smtp["EMAIL_USE_TLS"] is True
    assert smtp["EMAIL_HOST_USER"] == "me@x.org"
    assert email_from_url("smtps://mail.x.org")["EMAIL_USE_SSL"] is True
    assert email_from_url("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    with pytest.raises(ConfigError, match="EMAIL_URL: unknown scheme 'carrier'"):
        email_from_url("carrier://pigeon")
