"""Production settings: https only, secrets from the environment, ``check --deploy`` clean."""

import os

from .base import *  # noqa: F403
from .https import *  # noqa: F403 - TLS, the secret, secure cookies

DEBUG = False

LANGUAGE_COOKIE_SAMESITE = "Lax"
# A shared office computer: the session ends with the browser as well as after eight hours.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

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
