"""Typed, validated reading of operator settings from the environment.

Every variable may also be given as ``<NAME>_FILE`` pointing at a file that holds the value
(for Docker/Kubernetes secrets). A bad value raises :class:`ConfigError`, which names the
variable; ``promoter`` turns it into one readable line and a non-zero exit.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(ImproperlyConfigured):
    """A setting read from the environment is missing or malformed."""

    def __init__(self, name: str, message: str, *, check_id: str = "") -> None:
        self.name = name
        self.check_id = check_id
        suffix = f" [{check_id}]" if check_id else ""
        super().__init__(f"{name}: {message}{suffix}")


def env_raw(name: str) -> str | None:
    """Return the raw value of ``name`` or of the file named by ``<name>_FILE``, else None."""
    value = os.environ.get(name)
    if value is not None:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path is None:
        return None
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{name}_FILE", f"cannot read {path!r}: {exc.strerror}") from exc


def env_str(name: str, default: str = "") -> str:
    value = env_raw(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool = False) -> bool:
    value = env_raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(
        name,
        f"expected true/false (or 1/0, yes/no, on/off), got {value!r}",
        check_id="promoter.E008",
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = env_raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(
            name, f"expected a whole number, got {value!r}", check_id="promoter.E008"
        ) from None
    if minimum is not None and number < minimum:
        raise ConfigError(
            name, f"must be at least {minimum}, got {number}", check_id="promoter.E008"
        )
    return number


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = env_raw(name)
    if value is None or value.strip() == "":
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(name: str, default: str, *, schemes: tuple[str, ...]) -> str:
    value = env_str(name, default)
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        expected = " or ".join(f"{s}://…" for s in schemes)
        raise ConfigError(
            name,
            f"expected an absolute URL ({expected}), got {value!r}",
            check_id="promoter.E007",
        )
    return value.rstrip("/")


_SQLITE_OPTIONS = {
    # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at BEGIN
    # so two writers queue on busy_timeout instead of failing with "database is locked".
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        " PRAGMA busy_timeout=20000;"
    ),
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}

_POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")


def database_from_url(value: str | None, *, data_dir: Path) -> dict[str, object]:
    """Build Django's DATABASES["default"] from DATABASE_URL (None: the embedded SQLite file)."""
    if value is None or value == "":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(data_dir / "promoter.sqlite3"),
            "OPTIONS": dict(_SQLITE_OPTIONS),
        }
    parts = urlsplit(value)
    if parts.scheme == "sqlite":
        path = value.removeprefix("sqlite://")
        if not path.startswith("/") or path == "/":
            raise ConfigError(
                "DATABASE_URL",
                f"expected sqlite:////absolute/path.sqlite3, got {value!r}",
                check_id="promoter.E001",
            )
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "OPTIONS": dict(_SQLITE_OPTIONS),
        }
    if parts.scheme in _POSTGRES_SCHEMES:
        import dj_database_url

        try:
            config: dict[str, object] = dict(
                dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
            )
        except ValueError as exc:
            raise ConfigError("DATABASE_URL", str(exc), check_id="promoter.E001") from None
        if not config.get("NAME"):
            raise ConfigError(
                "DATABASE_URL",
                f"names no database: expected postgres://user@host:5432/dbname, got {value!r}",
                check_id="promoter.E001",
            )
        return config
    raise ConfigError(
        "DATABASE_URL",
        "expected postgres://user:password@host:5432/dbname or sqlite:////path/file.sqlite3,"
        f" got {value!r}",
        check_id="promoter.E001",
    )


def replica_from_url(value: str, *, primary: dict[str, object]) -> dict[str, object]:
    """Build DATABASES["replica"] from DATABASE_REPLICA_URL: a PostgreSQL read replica of the
    primary ``primary`` (which must be PostgreSQL too).

    In tests the replica mirrors the primary's test database (Django's TEST MIRROR), as a
    streaming replica mirrors its primary.
    """
    if not str(primary.get("ENGINE", "")).startswith("django.db.backends.postgresql"):
        raise ConfigError(
            "DATABASE_REPLICA_URL",
            "needs a PostgreSQL primary: set DATABASE_URL=postgres://… too (the embedded"
            " SQLite database has no replicas)",
            check_id="promoter.E011",
        )
    if urlsplit(value).scheme not in _POSTGRES_SCHEMES:
        raise ConfigError(
            "DATABASE_REPLICA_URL",
            f"expected postgres://user:password@replica-host:5432/dbname, got {value!r}",
            check_id="promoter.E011",
        )
    try:
        config = database_from_url(value, data_dir=Path("."))
    except ConfigError as exc:
        message = str(exc).removeprefix("DATABASE_URL: ").removesuffix(" [promoter.E001]")
        raise ConfigError("DATABASE_REPLICA_URL", message, check_id="promoter.E011") from None
    for name in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS"):  # connections kept like the primary's
        if name in primary:
            config[name] = primary[name]
    config["TEST"] = {"MIRROR": "default"}
    return config


def email_from_url(value: str) -> dict[str, object]:
    """Translate EMAIL_URL into Django's EMAIL_* settings.

    Schemes: ``smtp://user:pass@host:25`` (plain), ``smtp+tls://…:587`` (STARTTLS),
    ``smtps://…:465`` (implicit TLS), ``console://``, ``file:///dir``, ``memory://``, ``dummy://``.
    """
    parts = urlsplit(value)
    scheme = parts.scheme
    if scheme in ("smtp", "smtp+tls", "smtps"):
        if not parts.hostname:
            raise ConfigError("EMAIL_URL", f"names no host: {value!r}", check_id="promoter.E003")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(
                "EMAIL_URL", f"has a bad port: {value!r}", check_id="promoter.E003"
            ) from None
        from urllib.parse import unquote

        default_port = {"smtp": 25, "smtp+tls": 587, "smtps": 465}[scheme]
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname,
            "EMAIL_PORT": port or default_port,
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": scheme == "smtp+tls",
            "EMAIL_USE_SSL": scheme == "smtps",
            "EMAIL_TIMEOUT": 10,
        }
    simple = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "memory": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    if scheme in simple:
        return {"EMAIL_BACKEND": simple[scheme]}
    if scheme == "file":
        if not parts.path:
            raise ConfigError(
                "EMAIL_URL", f"expected file:///directory, got {value!r}", check_id="promoter.E003"
            )
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": parts.path,
        }
    raise ConfigError(
        "EMAIL_URL",
        f"unknown scheme {scheme!r} in {value!r}: use smtp://, smtp+tls://, smtps://,"
        " console://, file://, memory:// or dummy://",
        check_id="promoter.E003",
    )
