"""Settings of the public site (SPEC 10): only the payer's pages and the proof check, on the same database.

Run it behind its own reverse proxy with ``DJANGO_SETTINGS_MODULE=config.settings.public``; it shares the
database with the intranet system but serves none of its pages, API or admin. Https is assumed unless
``LIANGXIAN_PUBLIC_HTTP=1`` (a local trial on 127.0.0.1).
"""

import os

from .base import *  # noqa: F403

ROOT_URLCONF = "config.urls_public"
LIANGXIAN_PUBLIC_URL = os.environ.get("LIANGXIAN_PUBLIC_URL", "")

# Its own cookies, so the public site never reads an intranet session, and a short one: the payer's session
# lasts 10 minutes (the portal's rules check it again on each page).
SESSION_COOKIE_NAME = "lx_pay_session"
CSRF_COOKIE_NAME = "lx_pay_csrftoken"
SESSION_COOKIE_AGE = 600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

if os.environ.get("LIANGXIAN_PUBLIC_HTTP") != "1":
    from .https import *  # noqa: F403 - TLS, the secret, secure cookies
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    }
