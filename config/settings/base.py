"""Settings shared by every deployment; the environment picks the rest."""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("LIANGXIAN_VAR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("LIANGXIAN_SECRET_KEY", "insecure-development-key-change-me")
# Salt for hashing paying accounts (WeChat openid, card numbers) from channels; keep it stable once set.
LIANGXIAN_ACCOUNT_SALT = os.environ.get("LIANGXIAN_ACCOUNT_SALT", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("LIANGXIAN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "axes",
    "csp",
    "simple_history",
    "captcha",
    "liangxian.core",
    "liangxian.org",
    "liangxian.campaigns",
    "liangxian.exchange",
    "liangxian.obligations",
    "liangxian.registry",
    "liangxian.roster",
    "liangxian.collection",
    "liangxian.cash",
    "liangxian.refunds",
    "liangxian.treasury",
    "liangxian.bureaus",
    "liangxian.entitlements",
    "liangxian.finance",
    "liangxian.reports",
    "liangxian.national",
    "liangxian.screening",
    "liangxian.outreach",
    "liangxian.complaints",
    "liangxian.assessment",
    "liangxian.portal",
    "liangxian.web",
    "liangxian.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "liangxian.web.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "liangxian.web.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "liangxian.web.context.site",
            ],
        },
    },
]


def _database() -> dict[str, Any]:
    """Use PostgreSQL when DATABASE_URL is set, else SQLite in WAL mode under var/."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return dict(dj_database_url.parse(url, conn_max_age=60))
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("LIANGXIAN_SQLITE", str(VAR_DIR / "liangxian.sqlite3")),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # A new database gets 16 KiB pages (before WAL mode writes its header): bulk loads of large lists write
            # a quarter of the pages and WAL frames. An existing database keeps the page size it was made with.
            "init_command": (
                "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                "PRAGMA busy_timeout=20000;"
            ),
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Lock an account (by username and address) after five failed logins for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "web/locked.html"
AXES_RESET_ON_SUCCESS = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("ug", "ئۇيغۇرچە"), ("en", "English")]
# Each app keeps its own catalogue in <app>/locale; none is project-wide.
LOCALE_PATHS: list[str] = []
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [d for d in [BASE_DIR / "node_modules_static"] if d.exists()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# A file cache under var/ is shared by every server process (an upload's progress is polled from any worker)
# and needs no service besides the system itself.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
        "TIMEOUT": 3600,
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Every asset is served by the system itself: no CDN on a government intranet.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# SQLite: a large list's transaction reads what it can ahead on a second connection while it loads
# (batch.bulk.read_ahead); "0" reads everything on the transaction's own connection, as PostgreSQL does.
LIANGXIAN_READ_AHEAD = os.environ.get("LIANGXIAN_READ_AHEAD", "1") != "0"
# SQLite: the next version of the household register compares with the register only the persons that may have
# changed since the last one was applied (registry.services._incremental); "0" compares the whole list each time.
LIANGXIAN_REGISTER_INCREMENTAL = os.environ.get("LIANGXIAN_REGISTER_INCREMENTAL", "1") != "0"
LIANGXIAN_COUNTY_CODE = os.environ.get("LIANGXIAN_COUNTY_CODE", "653123")
LIANGXIAN_PRACTICE_SITE = os.environ.get("LIANGXIAN_PRACTICE_SITE", "") == "1"
# The public site's address (SPEC 10); proofs printed on the intranet put its check URL in their QR code.
LIANGXIAN_PUBLIC_URL = os.environ.get("LIANGXIAN_PUBLIC_URL", "")
LIANGXIAN_SITE_NAME = _("Liangxian collection management system")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
