"""Deployment behind a TLS-ending reverse proxy, shared by the intranet (prod) and the public site (public).

Imported with ``from .https import *`` after ``base``: the secret from the environment, checked; https only,
with HSTS and secure cookies; the trusted origins from ``LIANGXIAN_CSRF_TRUSTED_ORIGINS``.
"""

import os

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
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("LIANGXIAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
