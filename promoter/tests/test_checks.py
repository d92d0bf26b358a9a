from django.core.checks import run_checks

from promoter.checks import check_debug, check_email, check_site_url, configuration_warnings


def test_site_url_host_must_be_allowed(settings):
    settings.SITE_URL = "https://feedback.example.com"
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    settings.DEBUG = False
    assert [e.id for e in check_site_url()] == ["promoter.E006"]
    settings.ALLOWED_HOSTS = [".example.com"]
    assert check_site_url() == []


def test_debug_on_a_public_site_warns(settings):
    settings.SITE_URL = "https://feedback.example.com"
    settings.ALLOWED_HOSTS = ["feedback.example.com"]
    settings.DEBUG = True
    assert check_site_url() == []
    assert [e.id for e in check_debug()] == ["promoter.W001"]


def test_console_mail_in_production_warns(settings):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert [e.id for e in check_email()] == ["promoter.W002"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert check_email() == []


def test_configuration_warnings_run_only_when_asked_for(settings):
    # Deployment checks: not before every command (`promoter migrate`, `report`...), but in
    # `promoter check`, `serve` and `demo`, which ask for them, without Django's own.
    settings.DEBUG = False
    settings.DEMO_MODE = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert "promoter.W002" not in {e.id for e in run_checks()}
    with configuration_warnings():
        ids = {e.id for e in run_checks()}
    assert "promoter.W002" in ids
    assert not any(i.startswith("security.") for i in ids)
    assert "promoter.W002" not in {e.id for e in run_checks()}
