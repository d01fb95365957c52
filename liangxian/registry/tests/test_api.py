import pytest
from django.conf import settings
from django.utils import timezone

from liangxian.core.models import AccessLog, AuditEvent
from liangxian.org.models import Role
from liangxian.registry.tests import factories as f
from liangxian.web.api_auth import ApiTokenError, api_token_issue, api_token_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture
def county():
    f.county()
    return {"mine": f.person(f.VILLAGE_A1), "other": f.person(f.VILLAGE_B1)}


@pytest.fixture
def admin():
    return f.user(None, Role.SYSADMIN)


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_a_collector_asking_the_api_for_a_resident_of_another_village_gets_404_and_is_logged(client, county):
    client.force_login(f.collector(f.VILLAGE_A1))

    response = client.get(f"/api/residents/{county['other'].pk}")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not Found"}
    log = AccessLog.objects.get()
    assert (log.action, log.channel, log.object_ids) == ("denied", "api", [str(county["other"].pk)])


def test_the_api_lists_only_the_callers_village_a_page_at_a_time(client, county):
    client.force_login(f.collector(f.VILLAGE_A1))

    response = client.get("/api/residents/", {"page_size": 10})

    body = response.json()
    assert response.status_code == 200
    assert [p["id"] for p in body["items"]] == [county["mine"].pk]
    assert (body["count"], body["page"], body["pages"], body["page_size"]) == (1, 1, 1, 10)
    assert "*" in body["items"][0]["id_number"]
    assert AccessLog.objects.get().channel == "api"


def test_the_api_answers_chinese_unescaped(client, county):
    client.force_login(f.department("tax"))

    response = client.get(f"/api/residents/{county['mine'].pk}")

    assert "阿卜杜拉·买买提".encode() in response.content


@pytest.mark.parametrize("path", ["/api/residents/", "/api/residents/1"])
def test_an_anonymous_call_is_401_json_not_a_redirect(client, path):
    response = client.get(path)

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")


def test_every_operation_in_the_openapi_document_requires_auth(client):
    schema = client.get("/api/openapi.json").json()

    from config.api import PUBLIC_OPERATIONS

    operations = [(path, op) for path, item in schema["paths"].items() for op in item.values()]
    assert operations
    open_ones = {path for path, op in operations if not op.get("security")}
    assert open_ones == set(PUBLIC_OPERATIONS)
    assert {"TokenAuth", "BrowserSessionAuth"} <= set(schema["components"]["securitySchemes"])


def test_the_api_docs_are_open_to_read(client):
    assert client.get("/api/docs").status_code == 200


@pytest.mark.xfail(
    "ninja" not in settings.INSTALLED_APPS,
    reason="django-ninja serves its own Swagger assets only when 'ninja' is in INSTALLED_APPS (base.py)",
    strict=True,
)
def test_the_api_docs_load_no_asset_from_a_cdn(client):
    body = client.get("/api/docs").content.decode()

    assert "cdn" not in body.lower()


def test_another_departments_system_reads_with_its_token(county, client, admin):
    tax = f.department("tax")
    token, plaintext = api_token_issue(actor=admin, unit=tax.unit, user=tax, name="税务征管系统")

    response = client.get(f"/api/residents/{county['other'].pk}", **bearer(plaintext))

    assert response.status_code == 200
    assert response.json()["id_number"] == county["other"].id_number
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.digest != plaintext.split(".")[1]


def test_a_wrong_secret_or_unknown_prefix_is_refused(county, client, admin):
    tax = f.department("tax")
    _token, plaintext = api_token_issue(actor=admin, unit=tax.unit, user=tax, name="税务征管系统")
    prefix = plaintext.split(".")[0]

    assert client.get("/api/residents/", **bearer(prefix + ".wrong")).status_code == 401
    assert client.get("/api/residents/", **bearer("nosuch.secret")).status_code == 401
    assert client.get("/api/residents/", **bearer(plaintext.replace(".", ""))).status_code == 401


def test_a_revoked_token_is_refused(county, client, admin):
    tax = f.department("tax")
    token, plaintext = api_token_issue(actor=admin, unit=tax.unit, user=tax, name="税务征管系统")

    api_token_revoke(actor=admin, token=token)

    assert client.get("/api/residents/", **bearer(plaintext)).status_code == 401


def test_a_token_whose_user_left_its_unit_is_refused(county, client, admin):
    tax = f.department("tax")
    _token, plaintext = api_token_issue(actor=admin, unit=tax.unit, user=tax, name="税务征管系统")
    tax.unit = f.department("medical").unit
    tax.save()

    assert client.get("/api/residents/", **bearer(plaintext)).status_code == 401


def test_issuing_a_token_is_audited_without_its_secret(admin):
    f.county()
    tax = f.department("tax")

    token, plaintext = api_token_issue(actor=admin, unit=tax.unit, user=tax, name="税务征管系统")

    event = AuditEvent.objects.get(action="api_token.issue")
    assert event.object_id == str(token.pk)
    assert plaintext.split(".")[1] not in str(event.payload)


def test_only_a_system_administrator_issues_tokens():
    f.county()
    tax = f.department("tax")

    with pytest.raises(ApiTokenError) as err:
        api_token_issue(actor=tax, unit=tax.unit, user=tax, name="x")

    assert err.value.code == "not_allowed"


def test_a_browser_post_without_the_csrf_token_is_refused(rf):
    from ninja.errors import HttpError

    from liangxian.web.api_auth import BrowserSessionAuth

    request = rf.post("/api/anything", {})
    request.user = f.user(None)
    request._dont_enforce_csrf_checks = False

    with pytest.raises(HttpError) as err:
        BrowserSessionAuth()(request)

    assert err.value.status_code == 403


def test_the_token_touch_is_throttled(county, client, admin):
    tax = f.department("tax")
    token, plaintext = api_token_issue(actor=admin, unit=tax.unit, user=tax, name="税务征管系统")
    client.get("/api/residents/", **bearer(plaintext))
    token.refresh_from_db()
    first = token.last_used_at

    client.get("/api/residents/", **bearer(plaintext))

    token.refresh_from_db()
    assert token.last_used_at == first
    assert first <= timezone.now()
