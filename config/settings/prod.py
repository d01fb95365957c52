"""Production settings: https only, secrets from the environment, ``check --deploy`` clean."""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["LIANGXIAN_SECRET_KEY"]
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("insecure"):
    raise RuntimeError("LIANGXIAN_SECRET_KEY must be at least 50 random characters")

# TLS ends at the reverse proxy in front of gunicorn, which says so in X-Forwarded-Proto.
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# A shared office computer: the session ends with the browser as well as after eight hours.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("LIANGXIAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Lockout counts failures per username and client address. Behind N proxies the client address is the N-th
# from the right of X-Forwarded-For (the proxies append to it); without LIANGXIAN_PROXY_COUNT only the socket
# address is trusted, since a client can write X-Forwarded-For himself.
_PROXY_COUNT = int(os.environ.get("LIANGXIAN_PROXY_COUNT", "0"))
if _PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = _PROXY_COUNT
    AXES_IPWARE_PROXY_ORDER = "right-most"
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False}},
}
