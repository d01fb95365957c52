import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from liangxian.core.access import access_log
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
    police, medical, civil = f.department("police"), f.department("medical"), f.department("civil")
    number = f.id_number()
    ds = x.dataset("public_security.household_register", provider="police", authority=True)
    sub = x.submission(ds, police.unit, police, [{"id_number": number, "name": "艾力", "village": f.VILLAGE_A1}])
    services.register_apply(actor=None, submission=sub)
    allowance = x.dataset("civil_affairs.minimum_allowance", provider="civil", category="低保")
    civil_sub = x.submission(
        allowance, civil.unit, civil, [{"id_number": number}, {"id_number": f.id_number(), "name": "无名"}]
    )
    services.register_apply(actor=None, submission=civil_sub)
    return {
        "police": police,
        "medical": medical,
        "civil": civil,
        "sub": sub,
        "civil_sub": civil_sub,
        "person": Person.objects.get(id_number=number),
    }


def test_the_person_page_shows_each_fact_with_its_source_and_his_lists(client, world):
    client.force_login(world["medical"])

    page = client.get(f"/residents/{world['person'].pk}/").content.decode()

    assert "来源" in page and f"#{world['sub'].pk}" in page
    assert "低保" in page


def test_a_correction_is_asked_on_a_page_and_approved_by_police_on_another(client, world):
    client.force_login(world["medical"])
    response = client.post(
        f"/residents/{world['person'].pk}/corrections/new/",
        {"name": "艾力·吐尔逊", "reason": "户口本", "evidence": SimpleUploadedFile("s.png", b"\x89PNG\r\n\x1a\nxx")},
    )
    cr = ChangeRequest.objects.get()
    assert response.status_code == 302
    client.force_login(f.user(world["police"].unit, Role.LEADER))

    client.post(f"/residents/corrections/{cr.pk}/", {"decision": "approve", "note": "ok"})

    assert Person.objects.get(pk=world["person"].pk).name == "艾力·吐尔逊"


def test_the_correction_page_offers_no_decision_to_the_requester(client, world):
    cr = services.change_request_create(
        actor=world["medical"], person=world["person"], changes={"phone": "1"}, reason="x"
    )
    client.force_login(world["medical"])

    page = client.get(f"/residents/corrections/{cr.pk}/").content.decode()
    client.post(f"/residents/corrections/{cr.pk}/", {"decision": "approve"})

    assert 'value="approve"' not in page
    assert ChangeRequest.objects.get().status == "pending"


def test_the_correction_list_marks_those_for_the_user_to_decide(client, world):
    services.change_request_create(actor=world["medical"], person=world["person"], changes={"name": "甲"}, reason="x")
    client.force_login(world["police"])

    page = client.get("/residents/corrections/").content.decode()

    assert "由您决定" in page or "for you to decide" in page


def test_a_verification_request_is_asked_answered_and_escalated_on_pages(client, world):
    client.force_login(world["medical"])
    client.post(
        "/residents/verifications/new/",
        {"target": world["police"].unit.pk, "question": "是否死亡", "id_numbers": world["person"].id_number},
    )
    req = VerificationRequest.objects.get()
    client.force_login(world["police"])

    response = client.post(f"/residents/verifications/{req.pk}/", {"action": "escalate", "reason": "县里查不到"})
    upper = VerificationRequest.objects.exclude(pk=req.pk).get()
    client.post(f"/residents/verifications/{upper.pk}/", {"action": "answer", "answer": "地区答复"})

    listing = client.get("/residents/verifications/").content.decode()
    assert response.status_code == 302 and upper.level == "prefecture"
    assert VerificationRequest.objects.get(pk=upper.pk).answer == "地区答复"
    assert "地区" in listing


def test_the_usage_page_shows_the_provider_who_used_its_persons_for_which_duty(client, world):
    tax = f.department("tax")
    access_log(actor=Actor.of(tax), action="export", object_type=selectors.OBJECT_TYPE, object_ids=[world["person"].pk])
    client.force_login(world["civil"])

    page = client.get("/residents/usage/").content.decode()

    assert tax.unit.code in page and "collection" in page


def test_the_provider_sees_its_rows_not_in_the_register(client, world):
    client.force_login(world["civil"])

    page = client.get(f"/residents/submissions/{world['civil_sub'].pk}/not-in-register/").content.decode()

    assert "无名" in page


def test_another_unit_gets_404_for_a_providers_rows(client, world):
    client.force_login(world["medical"])

    assert client.get(f"/residents/submissions/{world['civil_sub'].pk}/not-in-register/").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/residents/corrections/", "/residents/verifications/", "/residents/verifications/new/", "/residents/usage/"],
)
def test_the_pages_render_for_a_department_user(client, world, path):
    client.force_login(world["medical"])

    response = client.get(path)

    assert response.status_code == 200 and b'name="viewport"' in response.content
