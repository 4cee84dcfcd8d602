"""cxloop settings, read from the environment (see README "Configuration").

Local use works with no variable set: SQLite under ./var/, a secret key generated and
kept in ./var/, DEBUG on. A production deployment sets CXLOOP_DEBUG=0, and then
CXLOOP_SECRET_KEY and CXLOOP_ALLOWED_HOSTS are required: start-up fails loudly without them.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from cxloop.common.email_url import DEFAULT_TIMEOUT as DEFAULT_EMAIL_TIMEOUT
from cxloop.common.email_url import EmailUrlError, parse_email_url

PACKAGE_DIR = Path(__file__).resolve().parent
# The working directory is the deployment root: ./var/ holds the database and local secrets.
BASE_DIR = Path(os.environ.get("CXLOOP_HOME", Path.cwd())).resolve()
VAR_DIR = Path(os.environ.get("CXLOOP_VAR_DIR", BASE_DIR / "var")).resolve()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if not 0 < value < 10**9:
        raise ImproperlyConfigured(f"{name} must be more than 0, got {raw!r}")
    return value


def local_secret_key() -> str:
    """A per-installation key kept in ./var/ so sessions survive restarts in local use."""
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


DEBUG = env_bool("CXLOOP_DEBUG", True)

SECRET_KEY = os.environ.get("CXLOOP_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("CXLOOP_SECRET_KEY is required when CXLOOP_DEBUG is off.")
    SECRET_KEY = local_secret_key()

ALLOWED_HOSTS = env_list(
    "CXLOOP_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("CXLOOP_ALLOWED_HOSTS is required when CXLOOP_DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CXLOOP_CSRF_TRUSTED_ORIGINS", [])

PORT = int(os.environ.get("PORT", "8000"))
PUBLIC_URL = os.environ.get("CXLOOP_PUBLIC_URL", f"http://127.0.0.1:{PORT}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "cxloop.common",
    "cxloop.organizations",
    "cxloop.accounts",
    "cxloop.surveys",
    "cxloop.responses",
    "cxloop.analytics",
    "cxloop.contacts",
    "cxloop.distribution",
    "cxloop.widget",
    "cxloop.campaigns",
    "cxloop.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cxloop.organizations.middleware.OrganizationTimezoneMiddleware",
    "cxloop.common.middleware.RefuseNulBytesMiddleware",
    "cxloop.common.middleware.ApiLanguageMiddleware",
]

ROOT_URLCONF = "cxloop.urls"
WSGI_APPLICATION = "cxloop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'cxloop.sqlite3'}"
DATABASE_URL = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
if DATABASE_URL == DEFAULT_DATABASE_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["cxloop.accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", "简体中文"),
    ("zh-hant", "繁體中文"),
    ("en", "English"),
]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("CXLOOP_TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
NODE_MODULES = Path(os.environ.get("CXLOOP_NODE_MODULES", BASE_DIR / "node_modules"))
# Front-end packages come from npm (package.json + lock file); they are served straight out of
# node_modules instead of being copied into the repository.
STATICFILES_DIRS = [
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_URL = os.environ.get("CXLOOP_EMAIL_URL", "")
_EMAIL_BACKEND_CLASS = os.environ.get("CXLOOP_EMAIL_BACKEND", "")
if EMAIL_URL and _EMAIL_BACKEND_CLASS:
    raise ImproperlyConfigured(
        "Set CXLOOP_EMAIL_URL or CXLOOP_EMAIL_BACKEND, not both: the URL names the backend."
    )
# Every SMTP socket operation gives up after this long, so a stuck server cannot hold a
# send task for ever (CXLOOP_EMAIL_URL's ?timeout= changes it).
EMAIL_TIMEOUT = DEFAULT_EMAIL_TIMEOUT
if EMAIL_URL:
    try:
        _email_settings = parse_email_url(EMAIL_URL)
    except EmailUrlError as error:
        # The URL may hold a password: name the problem, never echo the value.
        raise ImproperlyConfigured(f"CXLOOP_EMAIL_URL is not usable: {error}") from None
    globals().update(_email_settings)
else:
    EMAIL_BACKEND = _EMAIL_BACKEND_CLASS or (
        "django.core.mail.backends.console.EmailBackend"
        if DEBUG
        else "django.core.mail.backends.smtp.EmailBackend"
    )
DEFAULT_FROM_EMAIL = os.environ.get("CXLOOP_DEFAULT_FROM_EMAIL", "cxloop <noreply@localhost>")

TASKS = {
    "default": {
        "BACKEND": os.environ.get("CXLOOP_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
if TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": os.environ.get("CXLOOP_REDIS_URL", "redis://127.0.0.1:6379/0")}}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating proxy Django sees plain HTTP; trust the proxy's
# X-Forwarded-Proto only when the operator says the proxy sets it (else clients could).
if env_bool("CXLOOP_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A public https:// address means customers must never be served over plain HTTP.
SECURE_SSL_REDIRECT = env_bool(
    "CXLOOP_SSL_REDIRECT", not DEBUG and PUBLIC_URL.startswith("https://")
)
try:
    SECURE_HSTS_SECONDS = int(os.environ.get("CXLOOP_HSTS_SECONDS", "0"))
except ValueError as error:
    raise ImproperlyConfigured("CXLOOP_HSTS_SECONDS must be a whole number of seconds.") from error
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("CXLOOP_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("CXLOOP_HSTS_PRELOAD", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CXLOOP_LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}

# Whether organization admins may point their SMS provider at a custom endpoint (a gateway,
# or a local fake in tests). Off in production unless the operator turns it on.
CXLOOP_SMS_ENDPOINT_OVERRIDE = env_bool("CXLOOP_SMS_ENDPOINT_OVERRIDE", DEBUG)

# The send pipeline (distribution/sending.py). A sender's claim on an invitation lapses after
# this many seconds, so the messages of a worker that died are sent by another one; it must
# comfortably exceed the time one batch of messages takes.
CXLOOP_SEND_CLAIM_TIMEOUT = env_float("CXLOOP_SEND_CLAIM_TIMEOUT", 900.0)
# Transient failures (SMTP 4xx, network, provider throttling) are retried this many times in
# all, waiting CXLOOP_SEND_RETRY_BASE_SECONDS, then twice as long each time.
CXLOOP_SEND_MAX_ATTEMPTS = int(env_float("CXLOOP_SEND_MAX_ATTEMPTS", 5))
CXLOOP_SEND_RETRY_BASE_SECONDS = env_float("CXLOOP_SEND_RETRY_BASE_SECONDS", 60.0)
# Seconds between two runs of the scheduler (delayed sends, retries, reminders, waves).
CXLOOP_SCHEDULER_INTERVAL = env_float("CXLOOP_SCHEDULER_INTERVAL", 10.0)

# An API page never holds more than this many items, whatever `limit` asks for.
NINJA_PAGINATION_MAX_LIMIT = 500
NINJA_PAGINATION_PER_PAGE = 100

# The public survey page keeps a signed context (attributes, idempotency token) for 2 days.
CXLOOP_SURVEY_FORM_MAX_AGE = 60 * 60 * 48
