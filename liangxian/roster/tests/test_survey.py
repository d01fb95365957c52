"""The village survey (摸排, Art 17, 29) in force: marks for the next campaign, persons added, police asked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from liangxian.core.idnumbers import check_digit
from liangxian.core.models import AuditEvent
from liangxian.exchange.catalogue import catalogue_load
from liangxian.exchange.models import Dataset, Submission
from liangxian.exchange.signals import list_in_force
from liangxian.registry.models import Person, PersonFact, VerificationRequest
from liangxian.registry.tests import exchange_fixtures as xf
from liangxian.roster.models import SurveyMark
from liangxian.roster.survey import survey_apply

from .due_fixtures import due_county, f

pytestmark = pytest.mark.django_db

NEWCOMER = "65312319900215" + "901"
NEWCOMER_ID = NEWCOMER + check_digit(NEWCOMER)


@pytest.fixture
def county() -> dict[str, Any]:
    data = due_county()
    catalogue_load()
    data["dataset"] = Dataset.objects.get(code="township.village_survey")
    return data


def row(person: Any, *, village: str = "一村", cash: str = "否", status: str = "在村", **extra: str) -> dict[str, str]:
    return {
        "village": village,
        "name": person.name,
        "id_number": person.id_number,
        "cash_only": cash,
        "survey_status": status,
        **extra,
    }


def survey(county: dict[str, Any], rows: list[dict[str, str]]) -> Submission:
    """Put township A's survey in force as the exchange does: the signal, inside the transaction."""
    sub = xf.submission(county["dataset"], county["town_a"], county["town_a_user"], rows)
    list_in_force.send(sender=Submission, actor=county["town_a_user"], submission=sub, rows=None)
    return sub


def open_marks(county: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (m.person.name, m.mark)
        for m in SurveyMark.objects.filter(campaign=county["campaign"], until__isnull=True).select_related("person")
    }


def first_rows(county: dict[str, Any]) -> list[dict[str, str]]:
    p = county["people"]
    return [
        row(p["aygul"], cash="是"),
        row(p["wang"], status="已死亡"),
        row(p["li"], village="二村", status="长期外出"),
        {"village": "二村", "name": "热依拉·买买提", "id_number": NEWCOMER_ID, "sex": "女", "survey_status": "新增"},
    ]


def test_survey_in_force_marks_cash_only_gone_and_added(county: dict[str, Any]) -> None:
    # when township A's survey comes into force
    sub = survey(county, first_rows(county))

    # then the marks for the next campaign say who pays only in cash, who is gone and who was added
    assert open_marks(county) == {
        ("阿依古丽·艾买提", "cash_only"),
        ("王芳", "gone"),
        ("热依拉·买买提", "added"),
    }
    gone = SurveyMark.objects.get(mark="gone")
    assert (gone.note, gone.township_code, gone.village_code, gone.submission_id) == (
        "已死亡",
        f.TOWN_A,
        f.VILLAGE_A1,
        sub.pk,
    )
    # and public security, not the survey, decides the status: 王芳 stays active, police is asked to verify
    assert Person.objects.get(pk=county["people"]["wang"].pk).status == "active"
    request = VerificationRequest.objects.get()
    assert request.target == county["police"].unit and request.requester == county["town_a"]
    assert request.id_numbers == [county["people"]["wang"].id_number]
    assert list(request.persons.all()) == [county["people"]["wang"]]


def test_persons_missing_from_the_register_are_added_as_a_sealed_batch(county: dict[str, Any]) -> None:
    sub = survey(county, first_rows(county))

    added = Person.objects.get(id_number=NEWCOMER_ID)
    assert (added.name, added.status, added.source) == ("热依拉·买买提", "active", "村级摸排")
    assert (added.village_code, added.township_code) == (f.VILLAGE_A2, f.TOWN_A)
    assert added.sex == "F" and added.birth_date is not None and added.birth_date.isoformat() == "1990-02-15"
    assert added.batch == f"survey-{sub.pk}"
    assert PersonFact.objects.filter(person=added, submission=sub, field="record").exists()
    seal = AuditEvent.objects.get(object_type="registry.person", object_id=added.batch)
    assert seal.payload["seal"]["rows"] == 1
    mark = SurveyMark.objects.get(person=added)
    assert (mark.mark, mark.village_code) == ("added", f.VILLAGE_A2)


def test_a_second_version_closes_the_old_marks(county: dict[str, Any]) -> None:
    # given a first survey in force
    p = county["people"]
    survey(county, first_rows(county))
    first_ids = set(SurveyMark.objects.values_list("pk", flat=True))

    # when the township's second version says 李明, not 阿依古丽, pays only in cash
    survey(county, [row(p["aygul"]), row(p["li"], village="二村", cash="是")])

    # then the first version's marks are closed and only the new ones are open
    assert all(m.until is not None for m in SurveyMark.objects.filter(pk__in=first_ids))
    assert open_marks(county) == {("李明", "cash_only")}


def test_a_person_added_by_an_earlier_version_stays_added(county: dict[str, Any]) -> None:
    # given a first survey that added a newcomer
    survey(county, first_rows(county))
    newcomer = {"village": "二村", "name": "热依拉·买买提", "id_number": NEWCOMER_ID, "survey_status": "在村"}

    # when the second version lists her again, now that the register holds her
    survey(county, [row(county["people"]["aygul"]), newcomer])

    # then she is still marked as added by the survey, and no second person is created
    assert open_marks(county) == {("热依拉·买买提", "added")}
    assert Person.objects.filter(id_number=NEWCOMER_ID).count() == 1


def test_another_townships_marks_stay_open(county: dict[str, Any]) -> None:
    other = SurveyMark.objects.create(
        campaign=county["campaign"],
        person=county["people"]["mamat"],
        mark="cash_only",
        submission=xf.submission(county["dataset"], county["town_b"], county["town_b_user"], []),
        township_code=f.TOWN_B,
        village_code=f.VILLAGE_B1,
        since=timezone.now(),
    )

    survey(county, first_rows(county))

    other.refresh_from_db()
    assert other.until is None


def test_no_campaign_near_means_no_marks(county: dict[str, Any]) -> None:
    campaign = county["campaign"]
    campaign.period_start = timezone.localdate() + timedelta(days=400)
    campaign.period_end = campaign.period_start + timedelta(days=90)
    campaign.save(update_fields=["period_start", "period_end"])
    sub = xf.submission(county["dataset"], county["town_a"], county["town_a_user"], first_rows(county))

    assert survey_apply(actor=county["town_a_user"], submission=sub) is None
    assert not SurveyMark.objects.exists()
    assert not Person.objects.filter(id_number=NEWCOMER_ID).exists()


def test_other_lists_are_ignored(county: dict[str, Any]) -> None:
    hardship = xf.dataset("civil_affairs.special_hardship", provider="civil")
    sub = xf.submission(hardship, county["police"].unit, county["police"], [])
    list_in_force.send(sender=Submission, actor=county["police"], submission=sub, rows=None)
    assert not SurveyMark.objects.exists()


def test_a_survey_file_submitted_through_the_exchange_makes_the_marks(
    county: dict[str, Any], settings: Any, tmp_path: Any
) -> None:
    # given the township's survey file as the clerk writes it, with the 摸排情况 column
    from liangxian.exchange.services import submission_submit

    settings.MEDIA_ROOT = tmp_path
    p = county["people"]
    header = "序号,村（社区）,姓名,身份证号码,性别,仅能现金缴费,摸排情况,备注\r\n"
    lines = [
        f"1,一村,{p['aygul'].name},{p['aygul'].id_number},女,是,在村,",
        f"2,一村,{p['wang'].name},{p['wang'].id_number},女,否,已迁出,迁往喀什市",
        f"3,二村,热依拉·买买提,{NEWCOMER_ID},女,是,新增,",
    ]
    content = (header + "\r\n".join(lines) + "\r\n").encode("utf-8")

    # when it is submitted and comes into force (the survey needs no approval)
    sub = submission_submit(
        actor=county["town_a_user"], dataset="township.village_survey", source=content, filename="摸排.csv"
    )

    # then the marks follow from the rows the pipeline handed over
    assert sub.status == "in_force"
    assert open_marks(county) == {
        ("阿依古丽·艾买提", "cash_only"),
        ("王芳", "gone"),
        ("热依拉·买买提", "added"),
        ("热依拉·买买提", "cash_only"),
    }
    assert SurveyMark.objects.get(mark="gone").note == "已迁出"
