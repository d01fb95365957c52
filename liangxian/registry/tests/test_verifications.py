from datetime import timedelta

import pytest
from django.utils import timezone

from liangxian.core.models import AuditEvent, Division, DivisionLevel
from liangxian.core.scope import Actor
from liangxian.org.models import Unit, UnitKind
from liangxian.registry import selectors, services
from liangxian.registry.models import VerificationRequest
from liangxian.registry.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def units():
    county = f.county()
    region = Division.objects.create(code="65", name="新疆维吾尔自治区", level=DivisionLevel.PROVINCE)
    prefecture = Division.objects.create(code="6531", name="喀什地区", level=DivisionLevel.PREFECTURE, parent=region)
    county[f.COUNTY].parent = prefecture
    county[f.COUNTY].save()
    medical = f.department("medical")
    police = f.department("police")
    upper = Unit.objects.create(
        code="police-6531", name="喀什地区公安局", kind=UnitKind.DEPARTMENT, department="police", division=prefecture
    )
    upper_user = f.user(upper)
    return {"medical": medical, "police": police, "upper": upper, "upper_user": upper_user}


def ask(units, **extra):
    p = f.person(f.VILLAGE_A1)
    return services.verification_request_create(
        actor=units["medical"],
        target=units["police"].unit,
        question="核实是否死亡",
        id_numbers=[p.id_number, p.id_number.lower()],
        **extra,
    ), p


def test_a_request_gets_an_owner_in_the_asked_unit_and_links_the_persons(units):
    req, p = ask(units)

    assert (req.owner, req.level, req.status) == (units["police"], "county", "open")
    assert list(req.persons.all()) == [p] and req.id_numbers == [p.id_number]


def test_the_asked_unit_answers_and_the_time_taken_is_tracked(units):
    req, _p = ask(units)
    VerificationRequest.objects.filter(pk=req.pk).update(asked_at=timezone.now() - timedelta(hours=5))

    answered = services.verification_request_answer(actor=units["police"], request=req, answer="已死亡")

    track = selectors.verification_track(answered)
    assert (track.status, track.answer) == ("answered", "已死亡")
    assert timedelta(hours=5) <= track.taken < timedelta(hours=5, minutes=1)


def test_only_the_asked_unit_answers(units):
    req, _p = ask(units)

    with pytest.raises(services.RegisterError) as caught:
        services.verification_request_answer(actor=units["medical"], request=req, answer="x")

    assert caught.value.code == "forbidden"


def test_escalation_creates_a_linked_request_one_level_up_and_closes_the_lower(units):
    req, p = ask(units)

    upper = services.verification_request_escalate(
        actor=units["police"], request=req, reason="外地户籍，县里查不到", target=units["upper"]
    )

    req.refresh_from_db()
    assert (upper.level, upper.escalated_from_id, upper.target, upper.owner) == (
        "prefecture",
        req.pk,
        units["upper"],
        units["upper_user"],
    )
    assert req.status == "escalated" and list(upper.persons.all()) == [p]
    assert AuditEvent.objects.filter(action="register.verification_escalate", object_id=str(upper.pk)).exists()


def test_the_chain_answer_and_total_time_show_from_any_request_of_it(units):
    req, _p = ask(units)
    upper = services.verification_request_escalate(actor=units["police"], request=req, reason="查不到")
    services.verification_request_answer(actor=units["police"], request=upper, answer="地区答复：已迁出")

    track = selectors.verification_track(req)

    assert [r.level for r in track.chain] == ["county", "prefecture"]
    assert (track.level, track.status, track.answer) == ("prefecture", "answered", "地区答复：已迁出")


def test_escalation_goes_level_by_level_to_national_and_no_further(units):
    req, _p = ask(units)
    levels = []
    for _ in range(3):
        req = services.verification_request_escalate(actor=units["police"], request=req, reason="查不到")
        levels.append(req.level)

    with pytest.raises(services.RegisterError) as caught:
        services.verification_request_escalate(actor=units["police"], request=req, reason="查不到")

    assert levels == ["prefecture", "region", "national"]
    assert caught.value.code == "top_level"


def test_escalating_to_a_unit_of_the_wrong_level_is_refused(units):
    req, _p = ask(units)
    other_county = f.department("civil").unit

    with pytest.raises(services.RegisterError) as caught:
        services.verification_request_escalate(actor=units["police"], request=req, reason="x", target=other_county)

    assert caught.value.code == "wrong_level"


def test_an_answered_request_cannot_be_escalated(units):
    req, _p = ask(units)
    services.verification_request_answer(actor=units["police"], request=req, answer="ok")

    with pytest.raises(services.RegisterError) as caught:
        services.verification_request_escalate(actor=units["police"], request=req, reason="x")

    assert caught.value.code == "not_open"


def test_each_unit_lists_the_requests_it_asked_and_received(units):
    req, _p = ask(units)
    civil = f.department("civil")

    asked = selectors.verification_list(actor=Actor.of(units["medical"]), role="asked")
    received = selectors.verification_list(actor=Actor.of(units["police"]), role="received")

    assert list(asked) == [req] and list(received) == [req]
    assert not selectors.verification_list(actor=Actor.of(civil)).exists()


def test_a_unit_cannot_ask_itself(units):
    with pytest.raises(services.RegisterError) as caught:
        services.verification_request_create(actor=units["police"], target=units["police"].unit, question="x")

    assert caught.value.code == "same_unit"
