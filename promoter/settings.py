"""Promoter's Django settings, read from the environment (see docs/configuration.md)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from promoter.env import (
    ConfigError,
    database_from_url,
    email_from_url,
    env_bool,
    env_int,
    env_list,
    env_raw,
    env_str,
    env_url,
    replica_from_url,
)

BASE_DIR = Path(__file__).resolve().parent

DATA_DIR = Path(env_str("PROMOTER_DATA_DIR", str(Path.cwd() / "data"))).expanduser().resolve()

DEBUG = env_bool("DEBUG", False)

# Parsed first so that a bad DATABASE_URL is reported before anything else.
_database_url = env_raw("DATABASE_URL")
DATABASES = {"default": database_from_url(_database_url, data_dir=DATA_DIR)}
if not _database_url:
    # The embedded SQLite file: SQLite creates the file, never its folder.
    try:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            "PROMOTER_DATA_DIR",
            f"cannot create {DATA_DIR}: {exc.strerror}",
            check_id="promoter.E004",
        ) from None
if str(DATABASES["default"]["ENGINE"]).endswith("postgresql"):
    # Persistent connections: a new one per request would cost more than most requests.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    # On, Django checks a reused connection with a "SELECT 1" round trip at the start of every
    # request that uses the database (docs/configuration.md says what off costs).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("DATABASE_CONN_HEALTH_CHECKS", True)
if str(DATABASES["default"]["ENGINE"]).endswith("sqlite3"):
    # Tests on a file, not in memory: the browser tests' live server then gives each thread its
    # own connection (an in-memory database shares one, and concurrent requests can hang).
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-promoter.sqlite3")}
# A PostgreSQL read replica for the analytics selectors (promoter/core/replica.py,
# docs/deployment.md "Read replicas"); everything else reads and writes the primary.
_replica_url = env_raw("DATABASE_REPLICA_URL")
if _replica_url:
    DATABASES["replica"] = replica_from_url(_replica_url, primary=DATABASES["default"])
    DATABASE_ROUTERS = ["promoter.core.replica.ReplicaRouter"]
# How long after a write the same browser or API key reads only the primary (read-your-writes).
DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 10, minimum=0)


SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", schemes=("http", "https"))
_site = urlsplit(SITE_URL)
SITE_NAME = env_str("SITE_NAME", "Promoter")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [_site.hostname or "", "127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # Only for its bundled Swagger UI: the API docs pages then load no CDN script and no
    # inline script, so they run under the same Content-Security-Policy as the dashboard.
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "promoter",
    "promoter.core",
    "promoter.accounts",
    "promoter.people",
    "promoter.surveys",
    "promoter.responses",
    "promoter.channels",
    "promoter.integrations",
    "promoter.analytics",
    "promoter.text",
    "promoter.ingest",
    "promoter.api",
    "promoter.dashboard",
    "promoter.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "promoter.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "promoter.api.auth.LastUsedMiddleware",
]
if "replica" in DATABASES:
    MIDDLEWARE.append("promoter.core.replica.ReplicaPinMiddleware")

ROOT_URLCONF = "promoter.urls"
WSGI_APPLICATION = "promoter.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "promoter.accounts.context_processors.projects",
            ],
        },
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    if urlsplit(REDIS_URL).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(
            "REDIS_URL",
            f"expected redis://host:6379/0, got {REDIS_URL!r}",
            check_id="promoter.E005",
        )
    CACHES = {
        "default": {
            "BACKEND": "promoter.core.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "promoter",
            # Ours, not the client library's default: a hung Redis fails a request in seconds
            # (promoter/tests/test_faults.py), it never holds it.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The public ingest API (docs/ingest-api.md).
INGEST_MAX_BODY_BYTES = env_int("INGEST_MAX_BODY_BYTES", 64 * 1024, minimum=1024)
INGEST_RATE_LIMIT_PER_MINUTE = env_int("INGEST_RATE_LIMIT_PER_MINUTE", 600, minimum=0)
# An offer (eligibility said yes) holds the person for the survey's display delay plus this
# long: another offer meanwhile is refused, so two tabs asking at once survey them once.
# 0 turns the hold off.
INGEST_OFFER_HOLD_SECONDS = env_int("INGEST_OFFER_HOLD_SECONDS", 60, minimum=0)
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# PostgreSQL: an import whose database role may set session_replication_role skips the per-row
# foreign-key and rollup triggers and does their work set-wise (promoter/actions/imports.py).
IMPORT_BULK_LOAD = env_bool("IMPORT_BULK_LOAD", True)
# The ingest API's cache of project keys, survey settings and people's survey state
# (docs/ingest-api.md, "Caching"): on with Redis, never without a cache every process shares.
INGEST_STATE_CACHE = env_bool("INGEST_STATE_CACHE", bool(REDIS_URL))
if INGEST_STATE_CACHE and not REDIS_URL:
    raise ConfigError(
        "INGEST_STATE_CACHE",
        "needs REDIS_URL: a per-process cache would serve stale answers across processes",
        check_id="promoter.E010",
    )
# The public REST API (/api/v1/): calls a minute per API key; 0 turns the limit off.
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 1200, minimum=0)
# `promoter demo` turns this on: it serves the /demo page with the widget in a fake app.
DEMO_MODE = env_bool("PROMOTER_DEMO", False)

# Background tasks (docs/operations.md): the database queue by default (`promoter worker`), or
# Redis through RQ for many workers (TASKS_BACKEND=rq, which needs REDIS_URL).
TASKS_BACKEND = env_str("TASKS_BACKEND", "db")
TASKS: dict[str, dict[str, Any]]
if TASKS_BACKEND == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "rq":
    if not REDIS_URL:
        raise ConfigError(
            "TASKS_BACKEND", "rq needs REDIS_URL (redis://host:6379/0)", check_id="promoter.E009"
        )
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
else:
    raise ConfigError(
        "TASKS_BACKEND", f"expected db or rq, got {TASKS_BACKEND!r}", check_id="promoter.E009"
    )

# Integrations (docs/integrations.md): outbound calls and the delivery outbox.
INTEGRATIONS_ALLOW_PRIVATE_IPS = env_bool("INTEGRATIONS_ALLOW_PRIVATE_IPS", False)
OUTBOUND_TIMEOUT_SECONDS = env_int("OUTBOUND_TIMEOUT_SECONDS", 10, minimum=1)
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 8, minimum=1)
DELIVERY_RETRY_BASE_SECONDS = env_int("DELIVERY_RETRY_BASE_SECONDS", 10, minimum=0)
# How long a worker owns the deliveries it claimed; a worker that dies loses them after this.
DELIVERY_LEASE_SECONDS = env_int("DELIVERY_LEASE_SECONDS", 120, minimum=1)
INTEGRATIONS_ENABLED = {
    kind: env_bool(f"{kind.upper()}_ENABLED", True)
    for kind in ("webhook", "slack", "intercom", "zendesk", "segment", "email")
}

AUTH_USER_MODEL = "accounts.User"
# Argon2id first: new passwords and, on their next login, passwords stored with an older
# hasher are hashed with it; the others stay so that those older hashes still verify.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Failed logins (docs/security.md): after LOGIN_FAILURES_PER_ACCOUNT failures for one e-mail,
# or LOGIN_FAILURES_PER_ADDRESS from one client address, within LOGIN_LOCKOUT_SECONDS, that
# account or address is locked out for LOGIN_LOCKOUT_SECONDS. Counted in the cache (Redis in
# production, so every app process shares the count).
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5, minimum=1)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 20, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60, minimum=1)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

for _name, _value in email_from_url(env_str("EMAIL_URL", "console://")).items():
    globals()[_name] = _value
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"Promoter <promoter@{_site.hostname}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def _secret_key() -> str:
    """Return SECRET_KEY, else the key kept in the data directory, else (DEBUG and the demo
    only) a key generated there; a server without either refuses to start."""
    value = env_raw("SECRET_KEY")
    if value:
        if len(value) < 32:
            raise ConfigError(
                "SECRET_KEY",
                "is too short: use at least 32 random characters",
                check_id="promoter.E002",
            )
        return value
    # A key kept beside the SQLite file (generated by `promoter demo` or with DEBUG on, or put
    # there by the operator) serves every command, whatever DEBUG says: `promoter apikey` and
    # the rest then sign and verify with the key of the server whose data they touch.
    path = DATA_DIR / "secret_key"
    kept = _read_secret_key(path)
    if kept is not None:
        return kept
    if not (DEBUG or DEMO_MODE):
        raise ConfigError(
            "SECRET_KEY",
            "is required when DEBUG is off: set SECRET_KEY (or SECRET_KEY_FILE) to a long random"
            " string, e.g. the output of"
            " `python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`",
            check_id="promoter.E002",
        )
    # Development and `promoter demo` (which runs with DEBUG off, like production): generate
    # once and keep it beside the SQLite file, so sessions survive restarts. Never without
    # DEBUG or the demo: a production server does not invent its own key.
    try:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(key)
        return key
    except FileExistsError:  # another process wrote it first
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            "PROMOTER_DATA_DIR", f"cannot write {path}: {exc.strerror}", check_id="promoter.E004"
        ) from None


def _read_secret_key(path: Path) -> str | None:
    """Return the key kept in ``path``, None when there is no such file."""
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(
            "PROMOTER_DATA_DIR", f"cannot read {path}: {exc.strerror}", check_id="promoter.E004"
        ) from None
    if len(key) < 32:
        raise ConfigError(
            "SECRET_KEY",
            f"the key kept in {path} is too short: put at least 32 random characters there,"
            " or delete it and set SECRET_KEY",
            check_id="promoter.E002",
        )
    return key


SECRET_KEY = _secret_key()

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Only for `promoter collectstatic` behind a web server; the app serves its own files otherwise.
STATIC_ROOT = env_str("STATIC_ROOT", "") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve app static files straight from the package: no collectstatic step for the embedded mode.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Cookies: never readable by scripts, not sent on cross-site subrequests, and HTTPS-only when
# the site is served over HTTPS (SECURE_COOKIES overrides, e.g. for a TLS-terminating proxy
# in front of an http:// SITE_URL). No script reads the CSRF cookie: forms carry the token.
_https = _site.scheme == "https"
SECURE_COOKIES = env_bool("SECURE_COOKIES", _https)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HSTS is sent on HTTPS requests only (behind a proxy: with SECURE_PROXY_SSL_HEADER on).
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60 if _https else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SERVE_WORKERS = env_int("PROMOTER_WORKERS", 2, minimum=1)

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ConfigError(
        "LOG_LEVEL",
        f"expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got {LOG_LEVEL!r}",
        check_id="promoter.E008",
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every unhandled exception is logged on django.request with its traceback; with DEBUG off
    # (production, `promoter demo`) this handler is where it shows, on stderr. The process's
    # own stderr: Django configures logging again each time a command runs in the process (as
    # tests do, capturing sys.stderr), and a captured stream is closed once read.
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.__stderr__",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
