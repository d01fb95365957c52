import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from liangxian.core.models import AuditEvent
from liangxian.core.sealing import seal_batch
from liangxian.org.models import Role
from liangxian.registry import services
from liangxian.registry.models import Person, PersonFact
from liangxian.registry.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    f.county()
    return {
        "medical": f.department("medical"),
        "police": f.department("police"),
        "police2": f.user(f.Unit.objects.get(code="dept-police"), Role.LEADER),
        "social": f.department("social"),
        "collector": f.collector(f.VILLAGE_A1),
        "person": f.person(f.VILLAGE_A1, name="艾力", batch="B1"),
    }


def test_a_correction_waits_for_approval_and_changes_nothing_until_then(people):
    p = people["person"]

    cr = services.change_request_create(
        actor=people["medical"], person=p, changes={"name": "艾力·吐尔逊"}, reason="户口本"
    )

    assert (cr.status, cr.changes) == ("pending", {"name": ["艾力", "艾力·吐尔逊"]})
    assert Person.objects.get(pk=p.pk).name == "艾力"


def test_an_identity_correction_approved_by_police_is_applied_with_its_fact(people):
    p = people["person"]
    cr = services.change_request_create(
        actor=people["medical"], person=p, changes={"birth_date": "1981-02-03"}, reason="x"
    )

    services.change_request_decide(actor=people["police"], request=cr, approve=True, note="核实")

    assert Person.objects.get(pk=p.pk).birth_date == date(1981, 2, 3)
    fact = PersonFact.objects.get(person=p)
    assert (fact.field, fact.value, fact.change_request_id, fact.submission_id) == (
        "birth_date",
        "1981-02-03",
        cr.pk,
        None,
    )


def test_the_requester_cannot_approve_his_own_correction(people):
    cr = services.change_request_create(
        actor=people["police"], person=people["person"], changes={"name": "甲"}, reason="x"
    )

    with pytest.raises(services.RegisterError) as caught:
        services.change_request_decide(actor=people["police"], request=cr, approve=True)

    assert caught.value.code == "same_user"


def test_an_identity_correction_cannot_be_approved_by_medical_insurance(people):
    cr = services.change_request_create(
        actor=people["police"], person=people["person"], changes={"name": "甲"}, reason="x"
    )

    with pytest.raises(services.RegisterError) as caught:
        services.change_request_decide(actor=people["medical"], request=cr, approve=True)

    assert caught.value.code == "forbidden"


def test_a_phone_correction_may_be_approved_by_social_security(people):
    cr = services.change_request_create(
        actor=people["collector"], person=people["person"], changes={"phone": "13900000000"}, reason="x"
    )

    services.change_request_decide(actor=people["social"], request=cr, approve=True)

    assert Person.objects.get(pk=people["person"].pk).phone == "13900000000"


def test_a_rejected_correction_changes_nothing_and_is_audited(people):
    cr = services.change_request_create(
        actor=people["medical"], person=people["person"], changes={"name": "甲"}, reason="x"
    )

    services.change_request_decide(actor=people["police2"], request=cr, approve=False, note="不符")

    assert Person.objects.get(pk=people["person"].pk).name == "艾力"
    assert AuditEvent.objects.filter(action="register.correction_reject", object_id=str(cr.pk)).exists()


def test_a_correction_is_decided_once(people):
    cr = services.change_request_create(
        actor=people["medical"], person=people["person"], changes={"name": "甲"}, reason="x"
    )
    services.change_request_decide(actor=people["police"], request=cr, approve=False)

    with pytest.raises(services.RegisterError) as caught:
        services.change_request_decide(actor=people["police2"], request=cr, approve=True)

    assert caught.value.code == "already_decided"


def test_a_correction_asked_on_an_outdated_value_is_refused(people):
    p = people["person"]
    cr = services.change_request_create(actor=people["medical"], person=p, changes={"name": "甲"}, reason="x")
    Person.objects.filter(pk=p.pk).update(name="乙")

    with pytest.raises(services.RegisterError) as caught:
        services.change_request_decide(actor=people["police"], request=cr, approve=True)

    assert caught.value.code == "stale"


def test_a_correction_outside_the_requesters_scope_is_refused(people):
    other = f.person(f.VILLAGE_B1)

    with pytest.raises(services.RegisterError) as caught:
        services.change_request_create(actor=people["collector"], person=other, changes={"name": "甲"}, reason="x")

    assert caught.value.code == "out_of_scope"


@pytest.mark.parametrize(
    ("changes", "code"),
    [({"batch": "x"}, "unknown_field"), ({"sex": "X"}, "invalid_value"), ({"name": "艾力"}, "no_change")],
)
def test_an_invalid_correction_is_refused_with_its_reason(people, changes, code):
    with pytest.raises(services.RegisterError) as caught:
        services.change_request_create(actor=people["medical"], person=people["person"], changes=changes, reason="x")

    assert caught.value.code == code


def test_evidence_must_be_a_pdf_or_image(people):
    fake = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")

    with pytest.raises(services.RegisterError) as caught:
        services.change_request_create(
            actor=people["medical"], person=people["person"], changes={"name": "甲"}, reason="x", evidence=fake
        )

    assert caught.value.code == "evidence_type"


def test_evidence_that_is_a_pdf_is_kept(people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    scan = SimpleUploadedFile("scan.pdf", b"%PDF-1.4 signed", content_type="application/pdf")

    cr = services.change_request_create(
        actor=people["medical"], person=people["person"], changes={"name": "甲"}, reason="x", evidence=scan
    )

    assert cr.evidence.read() == b"%PDF-1.4 signed"


def test_approving_a_sealed_identity_change_reseals_the_batch_and_verify_stays_clean(people):
    seal_batch(actor=None, model=Person, batch_id="B1", action="demo_data.load")
    cr = services.change_request_create(
        actor=people["medical"], person=people["person"], changes={"name": "甲"}, reason="x"
    )

    services.change_request_decide(actor=people["police"], request=cr, approve=True)

    call_command("audit", "verify", stdout=io.StringIO())  # raises CommandError when a seal breaks


def test_verify_would_fail_without_the_reseal(people):
    seal_batch(actor=None, model=Person, batch_id="B1", action="demo_data.load")
    Person.objects.filter(pk=people["person"].pk).update(name="未经批准")

    with pytest.raises(CommandError):
        call_command("audit", "verify", stdout=io.StringIO())
