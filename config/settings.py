"""Siaran's settings: one file, every deployment difference read from the environment.

Embedded default: SQLite in WAL mode and uploaded files under one data folder
(`./data`, or SIARAN_DATA_DIR). At scale: DATABASE_URL points at PostgreSQL.
A secret may also be given as a file: SIARAN_SECRET_KEY_FILE.
"""

import base64
import datetime
import os
import secrets
import warnings
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """A setting from the environment, or from the file named by NAME_FILE."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name, "1" if default else "0").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: expected 1/0, true/false, yes/no or on/off")


def env_list(name: str, default: str = "", separator: str = ",") -> list[str]:
    return [item.strip() for item in env(name, default).split(separator) if item.strip()]


DATA_DIR = Path(env("SIARAN_DATA_DIR") or BASE_DIR / "data").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("SIARAN_DEBUG", False)


def _secret_key() -> str:
    """The deployment's key, or one made once and kept in the data folder."""
    key = env("SIARAN_SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("SIARAN_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("SIARAN_CSRF_TRUSTED_ORIGINS")

# The site's public address, for links that leave it: mails, the QR code of an approval
# sheet. Without it a sheet made in a request points at that request's host, and mails
# and sheets made by the task worker at the development server (siaran.core.site).
SIARAN_BASE_URL = env("SIARAN_BASE_URL").rstrip("/")

# Further SOP files, in folders separated by the platform's path separator (":").
SIARAN_SOP_DIRS = env_list("SIARAN_SOP_DIRS", separator=os.pathsep)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",  # WhiteNoise serves static files in development too
    "django.contrib.staticfiles",
    "siaran.core",
    "siaran.documents",
    "siaran.orgs",
    "siaran.cases",
    "siaran.audit",
    "siaran.archive",
    "siaran.notifications",
    "siaran.api",
    "siaran.reports",
    "siaran.publishing",
    "siaran.signin",  # before allauth: its templates override allauth's
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "axes",
    "ninja",  # serves its API docs page from its own static files, not a CDN
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files, gzipped where a compressed copy sits beside the file (the vendored
    # Bootstrap's 232 kB stylesheet is 31 kB so): a phone on a slow network waits for it
    # before it draws anything (bench/phone.py).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "siaran.core.middleware.LanguageMiddleware",
    # After the language is chosen: the API's errors in the request's language, as JSON.
    "siaran.core.middleware.ApiErrorMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "axes.middleware.AxesMiddleware",
    # The Content-Security-Policy below, on every page (stored files carry their own).
    "csp.middleware.CSPMiddleware",
    # After the session and the user are known: a person whose institution requires a
    # second factor and who has none sets one up before anything else.
    "siaran.signin.middleware.SecondFactorRequiredMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # locks a login out after repeated failures
    "siaran.orgs.backends.PersonBackend",  # username or e-mail (allauth's backend)
]
AXES_FAILURE_LIMIT = int(env("SIARAN_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = float(env("SIARAN_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A try during a lockout does not restart it: otherwise anyone could keep an account
# locked for ever by trying it every few minutes.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The client's address through the proxies named here only (siaran.core.clients):
# addresses or networks, separated by commas, e.g. "127.0.0.1,10.0.0.0/8".
SIARAN_TRUSTED_PROXIES = env_list("SIARAN_TRUSTED_PROXIES")
AXES_CLIENT_IP_CALLABLE = "siaran.core.clients.client_ip"
# allauth's form sends "login" (a username or an e-mail address): one lockout per person.
AXES_USERNAME_CALLABLE = "siaran.signin.lockout.username"
# The lockout page says when the lockout ends, in the person's time zone.
AXES_LOCKOUT_CALLABLE = "siaran.signin.lockout.response"
# Days an invitation link (siaran.orgs.models.Invitation) stays valid.
SIARAN_INVITATION_DAYS = float(env("SIARAN_INVITATION_DAYS", "7"))
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cases:inbox"
LOGOUT_REDIRECT_URL = "login"

# -- Sign-in (django-allauth): passwords, TOTP, passkeys, recovery codes, OpenID Connect --
# Nobody signs up: people are invited by their institution's administrator.
ACCOUNT_ADAPTER = "siaran.signin.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "siaran.signin.adapters.SocialAccountAdapter"
ACCOUNT_FORMS = {"login": "siaran.signin.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"  # addresses are the administrator's, not self-declared
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_REDIRECT_URL = LOGOUT_REDIRECT_URL
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Siaran] "
ACCOUNT_PRESERVE_USERNAME_CASING = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False  # the reset form mails no address Siaran does not know
# django-axes counts failed logins and locks out; allauth's own counter would lock first.
# Nor a cap on logins per address: behind an institution's proxy everyone shares one.
ACCOUNT_RATE_LIMITS = {"login_failed": False, "login": False}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Siaran"
# Passkeys on http://127.0.0.1 in development and tests; a deployment serves HTTPS.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG or env_bool("SIARAN_WEBAUTHN_INSECURE", False)
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # the adapter matches the person, by institution
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "siaran" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "siaran.reports.context_processors.reports",
            ],
        },
    },
]

SQLITE_OPTIONS = {
    # WAL lets the web process read while the worker writes; IMMEDIATE takes the write
    # lock at BEGIN so that two writers queue instead of failing half-way.
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}

if env("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"), conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
        "SIARAN_PG_PREPARED", True
    ):
        # Server-side binding, and a statement a connection sends a fifth time is prepared:
        # PostgreSQL then keeps its plan, and the case read of every transition is not
        # planned anew (0.3 of its 0.5 ms, bench/README.md). A pooler that cannot keep
        # prepared statements (PgBouncer before 1.21 in transaction mode) needs it off.
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "siaran.sqlite3",
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
    # Tests use a file too, not shared-cache memory: only a file gives concurrent
    # connections SQLite's real locking (writers wait their turn instead of failing).
    DATABASES["default"].setdefault("TEST", {"NAME": str(DATA_DIR / "test.sqlite3")})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background work (reminders, escalations, publish jobs) through Django's task API:
# the database queue by default, worked by `siaran db_worker` (which `make run` starts).
TASKS = {
    "default": {
        "BACKEND": env("SIARAN_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# Scale-out: SIARAN_TASKS_BACKEND=django_tasks_rq.RQBackend puts the same tasks on RQ, in
# Redis at SIARAN_REDIS_URL, worked by `siaran rqworker --job-class django_tasks_rq.Job
# --with-scheduler` (the scheduler starts posts scheduled for later).
RQ_QUEUES = {
    "default": {
        "URL": env("SIARAN_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "DEFAULT_TIMEOUT": 6 * 3600,  # a long upload is not killed; a dead one's lease lapses
    }
}
if TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]

# -- Publishing (channel accounts, publish jobs, connectors) ------------------------------


def _credentials_key() -> str:
    """Fernet keys for channel credentials, newest first, separated by commas.

    Independent of the secret key so that either can be rotated alone. Unset, one is made
    once and kept in the data folder (`siaran check --deploy` warns about that).
    """
    key = env("SIARAN_CREDENTIALS_KEY")
    if key:
        return key
    path = DATA_DIR / "credentials_key"
    try:  # made exclusively: the web server and the worker starting together agree on it
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
            file.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    except FileExistsError:
        pass
    return path.read_text(encoding="utf-8").strip()


SIARAN_CREDENTIALS_KEY = _credentials_key()
SIARAN_CREDENTIALS_KEY_FROM_ENV = bool(env("SIARAN_CREDENTIALS_KEY"))
# Seconds a platform may take to answer one request before its outcome is "unknown".
SIARAN_PUBLISH_TIMEOUT = float(env("SIARAN_PUBLISH_TIMEOUT", "60"))
# Seconds a worker holds a publish job without showing progress before another may take
# it over (keep it well above the timeout), and before a failed call's first retry.
# Only the fault bench shortens them, to see hundreds of dead workers in minutes.
SIARAN_PUBLISH_LEASE = float(env("SIARAN_PUBLISH_LEASE", "600"))
SIARAN_PUBLISH_BACKOFF = float(env("SIARAN_PUBLISH_BACKOFF", "30"))

# The platform sandboxes for the demo and tests: `siaran sandbox --port N` serves them on
# N and the five ports after it; SIARAN_SANDBOX_URL=http://127.0.0.1:N tells `siaran demo`
# where they are, and lets a platform with no OAuth client below connect through its
# sandbox's authorize page. Unset in production: then nothing points at a sandbox.
SIARAN_SANDBOX_URL = env("SIARAN_SANDBOX_URL").rstrip("/")


def _oauth_client(name: str, family: str = "") -> dict[str, str]:
    """One platform's OAuth 2.0 client (the app registered with the platform), from
    SIARAN_OAUTH_<NAME>_CLIENT_ID, _CLIENT_SECRET and, to reach another server than the
    platform's own, _AUTHORIZE_URL, _TOKEN_URL and _API_URL. Instagram and Facebook share
    Meta's app (SIARAN_OAUTH_META_*), YouTube Google's (SIARAN_OAUTH_GOOGLE_*)."""
    keys = ("client_id", "client_secret", "authorize_url", "token_url", "api_url")
    return {
        key: env(f"SIARAN_OAUTH_{name}_{key.upper()}")
        or (env(f"SIARAN_OAUTH_{family}_{key.upper()}") if family else "")
        for key in keys
    }


SIARAN_OAUTH = {
    "instagram": _oauth_client("INSTAGRAM", "META"),
    "facebook": _oauth_client("FACEBOOK", "META"),
    "x": _oauth_client("X"),
    "youtube": _oauth_client("YOUTUBE", "GOOGLE"),
    "tiktok": _oauth_client("TIKTOK"),
}
# Seconds before an access token ends that Siaran refreshes it, before a call to the platform.
SIARAN_OAUTH_REFRESH_MARGIN = float(env("SIARAN_OAUTH_REFRESH_MARGIN", "600"))

# Notification mail: SMTP through SIARAN_EMAIL_HOST; printed on the console in debug when
# no host is set; without either, Django's default (SMTP on localhost:25).
if env("SIARAN_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env("SIARAN_EMAIL_HOST")
    EMAIL_PORT = int(env("SIARAN_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = env("SIARAN_EMAIL_USER")
    EMAIL_HOST_PASSWORD = env("SIARAN_EMAIL_PASSWORD")
    EMAIL_USE_TLS = env_bool("SIARAN_EMAIL_TLS", True)  # STARTTLS, as on port 587
    EMAIL_USE_SSL = env_bool("SIARAN_EMAIL_SSL", False)  # TLS from the start, port 465
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperlyConfigured("SIARAN_EMAIL_TLS and SIARAN_EMAIL_SSL exclude each other")
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = 30  # a stuck mail server must not hold the task worker
DEFAULT_FROM_EMAIL = env("SIARAN_EMAIL_FROM", "Siaran <siaran@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The daily digest goes out at this time (HH:MM, in SIARAN_TIME_ZONE) on working days.
try:
    SIARAN_DIGEST_TIME = datetime.time.fromisoformat(env("SIARAN_DIGEST_TIME", "08:00"))
except ValueError:
    raise ImproperlyConfigured("SIARAN_DIGEST_TIME: expected HH:MM, such as 08:00") from None

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Bahasa Indonesia first, English second.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "siaran" / "locale"]
TIME_ZONE = env("SIARAN_TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "siaran" / "static"]
STATIC_ROOT = DATA_DIR / "static"
WHITENOISE_USE_FINDERS = True  # served from the apps' folders, with or without collectstatic
WHITENOISE_AUTOREFRESH = DEBUG
# Without collectstatic there is no STATIC_ROOT, and the finders serve every file.
warnings.filterwarnings("ignore", message="No directory at: ")
# An upload over its kind's limit is refused while it arrives (siaran.cases.uploads).
FILE_UPLOAD_HANDLERS = [
    "siaran.cases.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SIARAN_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SIARAN_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Scripts and style sheets only from Siaran itself: no page has an inline script (data for
# scripts travels as JSON blocks, which do not run), so an injected one cannot run either.
# Style attributes stay allowed (column widths of the SOP's flowchart, a few layouts);
# they cannot run code. Forms may post anywhere: connecting a channel or signing in
# through an institution's provider leaves for the platform by a redirect. Violations
# are reported to /csp-report/ and logged.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "report-uri": "/csp-report/",
    }
}
SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, read without compiling a query on every page.
SESSION_ENGINE = "siaran.core.sessions"
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("SIARAN_LOG_LEVEL", "INFO")},
}

# -- Production serving (`siaran serve`, deploy/) -----------------------------------------
# `siaran serve` collects the static files under hashed names (a browser keeps them for a
# year, and a new release changes their names) and sets this for its web server;
# development and the tests keep serving them from the apps' folders.
if env_bool("SIARAN_STATIC_HASHED", False):
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    WHITENOISE_USE_FINDERS = False
    WHITENOISE_MANIFEST_STRICT = False  # a file not in the manifest: its plain name, not a 500
# Health checks come over plain HTTP from the machine itself (systemd, a load balancer).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
