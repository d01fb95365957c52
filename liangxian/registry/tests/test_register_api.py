import pytest

from liangxian.core.access import access_log
from liangxian.core.models import AccessLog
from liangxian.core.scope import Actor
from liangxian.org.models import Role
from liangxian.registry import selectors, services
from liangxian.registry.models import ChangeRequest, Person, VerificationRequest
from liangxian.registry.tests import exchange_fixtures as x
from liangxian.registry.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    f.county()
    police, medical = f.department("police"), f.department("medical")
    ds = x.dataset("public_security.household_register", provider="police", authority=True)
    number = f.id_number()
    sub = x.submission(ds, police.unit, police, [{"id_number": number, "name": "艾力", "village": f.VILLAGE_A1}])
    services.register_apply(actor=None, submission=sub)
    return {"police": police, "medical": medical, "sub": sub, "person": Person.objects.get(id_number=number)}


def test_the_facts_endpoint_gives_each_fact_with_its_source_and_logs_the_view(client, world):
    client.force_login(world["medical"])

    response = client.get(f"/api/residents/{world['person'].pk}/facts")

    body = response.json()
    assert response.status_code == 200
    assert [(fct["field"], fct["submission_id"]) for fct in body["facts"]] == [("record", world["sub"].pk)]
    assert AccessLog.objects.filter(action="view", channel="api").exists()


def test_the_facts_of_a_resident_out_of_scope_are_404(client, world):
    client.force_login(f.collector(f.VILLAGE_B1))

    assert client.get(f"/api/residents/{world['person'].pk}/facts").status_code == 404


def test_a_correction_is_asked_and_approved_through_the_api(client, world):
    client.force_login(world["medical"])
    asked = client.post(
        f"/api/residents/{world['person'].pk}/corrections",
        {"changes": {"name": "艾力·吐尔逊"}, "reason": "户口本为准"},
        content_type="application/json",
    )
    client.force_login(f.user(world["police"].unit, Role.LEADER))

    decided = client.post(
        f"/api/residents/corrections/{asked.json()['id']}/decide",
        {"approve": True, "note": "核实"},
        content_type="application/json",
    )

    assert (asked.status_code, decided.status_code, decided.json()["status"]) == (201, 200, "approved")
    assert Person.objects.get(pk=world["person"].pk).name == "艾力·吐尔逊"


def test_a_refused_correction_says_why_with_a_code(client, world):
    client.force_login(world["medical"])
    cr = services.change_request_create(
        actor=world["medical"], person=world["person"], changes={"name": "甲"}, reason="x"
    )

    response = client.post(
        f"/api/residents/corrections/{cr.pk}/decide", {"approve": True}, content_type="application/json"
    )

    assert (response.status_code, response.json()["code"]) == (400, "same_user")
    assert ChangeRequest.objects.get().status == "pending"


def test_a_verification_request_is_asked_answered_and_tracked_through_the_api(client, world):
    client.force_login(world["medical"])
    asked = client.post(
        "/api/residents/verifications",
        {"target": world["police"].unit.code, "question": "是否死亡", "id_numbers": [world["person"].id_number]},
        content_type="application/json",
    )
    client.force_login(world["police"])

    answered = client.post(
        f"/api/residents/verifications/{asked.json()['id']}/answer", {"answer": "正常"}, content_type="application/json"
    )
    listed = client.get("/api/residents/verifications", {"role": "received"})

    assert (asked.status_code, answered.status_code) == (201, 200)
    assert answered.json()["chain_status"] == "answered" and answered.json()["seconds_taken"] >= 0
    assert [v["id"] for v in listed.json()] == [asked.json()["id"]]


def test_escalating_through_the_api_makes_a_new_linked_request(client, world):
    req = services.verification_request_create(actor=world["medical"], target=world["police"].unit, question="q")
    client.force_login(world["police"])

    response = client.post(
        f"/api/residents/verifications/{req.pk}/escalate", {"reason": "县里查不到"}, content_type="application/json"
    )

    assert response.status_code == 201
    assert (response.json()["level"], response.json()["escalated_from"]) == ("prefecture", req.pk)
    assert VerificationRequest.objects.get(pk=req.pk).status == "escalated"


def test_a_unit_outside_a_request_cannot_see_it(client, world):
    req = services.verification_request_create(actor=world["medical"], target=world["police"].unit, question="q")
    client.force_login(f.department("civil"))

    response = client.post(
        f"/api/residents/verifications/{req.pk}/answer", {"answer": "x"}, content_type="application/json"
    )

    assert response.status_code == 404


def test_the_usage_endpoint_shows_the_provider_who_used_its_persons(client, world):
    tax = f.department("tax")
    access_log(actor=Actor.of(tax), action="view", object_type=selectors.OBJECT_TYPE, object_ids=[world["person"].pk])
    client.force_login(world["police"])

    body = client.get("/api/residents/usage", {"days": 7}).json()

    assert [(i["unit_code"], i["duty"], i["matched"]) for i in body["items"]] == [(tax.unit.code, "collection", 1)]
