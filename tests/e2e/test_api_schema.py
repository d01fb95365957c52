"""Schemathesis over /api/openapi.json: as each demo login, by token and anonymously, no call ends in a 5xx."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings

from liangxian.org.models import User
from liangxian.web.api_auth import api_token_issue
from liangxian.web.tests.roles import EXPECTED_HOME, demo_logins

pytestmark = [pytest.mark.slow, pytest.mark.once, pytest.mark.django_db]

# Bounded so that `make test` stays within its budget; raise them for a deeper run. The superuser reaches every
# handler's body and the stranger every refusal, so they take the most examples; the roles walk the same
# operations for their scope's branches with fewer (the walk took half an hour with 25 for each).
MAX_EXAMPLES = int(os.environ.get("LIANGXIAN_API_EXAMPLES", "25"))
ROLE_EXAMPLES = int(os.environ.get("LIANGXIAN_API_ROLE_EXAMPLES", "6"))
FULL_WALK_CALLERS = ("admin", "anonymous")
# Every role and every kind of home page once (the departments that only send lists share civil's access), so
# that the walk keeps within the test budget as the API grows; LIANGXIAN_API_ALL_CALLERS=1 walks every login.
SAMPLE_LOGINS = [
    "tax", "tax_leader", "civil", "medical", "social", "finance", "pbc", "discipline",
    "township", "township_leader", "collector", "village_head", "bank", "admin",
]  # fmt: skip
LOGINS = sorted(EXPECTED_HOME) if os.environ.get("LIANGXIAN_API_ALL_CALLERS") else SAMPLE_LOGINS
CALLERS = ["anonymous", "token:tax", "token:collector", *LOGINS]
# LIANGXIAN_API_PATHS=/api/treasury,/api/bureaus walks only the operations under those paths (a quick local run).
ONLY_PATHS = tuple(p for p in os.environ.get("LIANGXIAN_API_PATHS", "").split(",") if p)


def _schema() -> Any:
    import schemathesis

    from config.wsgi import application

    # django-ninja writes OpenAPI 3.1, which schemathesis 3.x reads only with this switch.
    schemathesis.experimental.OPEN_API_3_1.enable()
    return schemathesis.from_wsgi("/api/openapi.json", application)


Credentials = tuple[dict[str, str], dict[str, str]]  # headers, cookies


def _session(username: str) -> Credentials:
    """Sign the user in and give what a browser sends: the session and CSRF cookies and the CSRF header."""
    client = Client()
    client.force_login(User.objects.get(username=username))
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = _get_new_csrf_string()
    return {"X-CSRFToken": csrf}, {settings.SESSION_COOKIE_NAME: session, settings.CSRF_COOKIE_NAME: csrf}


def _token(username: str) -> Credentials:
    """Issue an API token acting as the user for his unit, as another department's system would hold."""
    user = User.objects.get(username=username)
    assert user.unit is not None
    _token, secret = api_token_issue(actor=User.objects.get(username="admin"), unit=user.unit, user=user, name="e2e")
    return {"Authorization": f"Bearer {secret}"}, {}


def _credentials(caller: str) -> Credentials:
    if caller == "anonymous":
        return {}, {}
    if caller.startswith("token:"):
        return _token(caller.removeprefix("token:"))
    return _session(caller)


@pytest.fixture
def in_process_requests() -> Iterator[None]:
    """Keep the test's database connection across WSGI calls, as Django's own test client does.

    The WSGI handler closes "old" connections at each request's start and end; inside the test's transaction
    that would close it (PostgreSQL) and lose the data the test made.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _require_compatible_hypothesis() -> None:
    from hypothesis.internal.conjecture.utils import many

    if not hasattr(many, "more"):
        pytest.fail(
            "hypothesis-jsonschema (schemathesis' generator) calls many.more(), which hypothesis 6.170.10 removed: "
            "pin hypothesis==6.170.9 in the dev requirements"
        )


def test_the_api_publishes_its_openapi_document(client: Client) -> None:
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    assert response.json()["paths"], "the API has no operations"


@pytest.mark.parametrize("caller", CALLERS)
def test_no_api_operation_fails_with_a_server_error(caller: str, in_process_requests: None) -> None:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    _require_compatible_hypothesis()
    # given the demo county's logins and the caller's credentials
    demo_logins()
    headers, cookies = _credentials(caller)
    schema = _schema()
    failures: list[str] = []
    statuses: set[int] = set()
    operations = 0
    # when every operation is called with generated parameters
    for result in schema.get_all_operations():
        operation = result.ok()
        if ONLY_PATHS and not operation.path.startswith(ONLY_PATHS):
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=MAX_EXAMPLES if caller in FULL_WALK_CALLERS else ROLE_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            # Cookies go on the case: the WSGI test client replaces a Cookie header with its own jar.
            case.cookies = {**(case.cookies or {}), **cookies}
            response = case.call_wsgi(headers=headers)
            if case.operation.definition.raw.get("security"):  # the public ones (config.api.PUBLIC_OPERATIONS) aside
                statuses.add(response.status_code)
            case.validate_response(response, checks=(not_a_server_error, response_schema_conformance))

        try:
            call()
        except Exception as exc:  # one report for all operations, not only the first that fails
            failures.append(f"{operation.verbose_name}: {exc}")
    # then none answered with a server error or outside its documented schema
    assert operations > 0
    assert not failures, "\n\n".join(failures)
    # and the credentials worked: a stranger is refused everything (401, or 403 for a write without CSRF),
    # a signed-in caller gets answers
    if caller == "anonymous":
        # 400: refused before authentication for input no field accepts (a NUL character, see web.middleware).
        assert statuses <= {400, 401, 403}, statuses
        assert statuses & {401, 403}, statuses
    else:
        assert any(status < 300 for status in statuses), statuses


def test_the_sampled_logins_cover_every_kind_of_home_page() -> None:
    homes = {home for name, home in EXPECTED_HOME.items() if name in SAMPLE_LOGINS}
    skipped = set(EXPECTED_HOME.values()) - homes
    # the list-sending departments share one kind of access; civil stands for them
    assert skipped <= {"revital", "disabled", "police", "justice", "education", "publicity"}, skipped
    assert set(SAMPLE_LOGINS) <= set(EXPECTED_HOME)


def test_every_api_schema_has_a_name_of_its_own() -> None:
    """Two schemas of one name become one component of the OpenAPI document: the other app's answers fail it."""
    import importlib
    import inspect
    import pkgutil

    from ninja import Schema

    import liangxian

    modules: dict[str, list[str]] = {}
    for found in pkgutil.walk_packages(liangxian.__path__, "liangxian."):
        name = found.name
        if ".tests" in name or ".migrations" in name or ".management" in name or ".api" not in name:
            continue
        api_module = importlib.import_module(name)
        for obj in vars(api_module).values():
            if inspect.isclass(obj) and issubclass(obj, Schema) and obj.__module__ == api_module.__name__:
                modules.setdefault(obj.__name__, []).append(api_module.__name__)
    assert modules, "no API schemas found"
    assert not {name: where for name, where in modules.items() if len(where) > 1}
