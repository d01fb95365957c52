import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from liangxian.org.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"


@pytest.fixture
def clerk():
    return User.objects.create_user(username="clerk", password=PASSWORD)


def sign_in(client, password: str):
    return client.post("/login/", {"username": "clerk", "password": password}, REMOTE_ADDR="10.0.0.7")


def test_the_right_password_signs_in(client, clerk):
    response = sign_in(client, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(clerk.pk)


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, clerk):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong-password")

    response = sign_in(client, PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_four_wrong_passwords_do_not_lock(client, clerk):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "wrong-password")

    assert sign_in(client, PASSWORD).status_code == 302


def test_pages_carry_a_content_security_policy_that_allows_no_inline_script(client):
    response = client.get("/login/")

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_pages_refuse_framing_and_sniffing(client):
    response = client.get("/login/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_session_cookie_is_http_only(client, clerk):
    response = sign_in(client, PASSWORD)

    assert response.cookies[settings.SESSION_COOKIE_NAME]["httponly"]


@pytest.mark.slow
def test_the_production_settings_pass_the_deployment_check():
    root = Path(__file__).resolve().parents[3]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "LIANGXIAN_SECRET_KEY": secrets.token_urlsafe(50),
    }
    # The test run's own switches (pytest-playwright sets DJANGO_ALLOW_ASYNC_UNSAFE) are no deployment's.
    for name in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)

    result = subprocess.run(
        [sys.executable, "-m", "liangxian", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
