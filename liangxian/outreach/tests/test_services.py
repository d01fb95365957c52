"""Activities, attendance, obligations, the shortfall, the paid list, the county notice and the posting proofs."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

import pytest
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from liangxian.core.models import AuditEvent
from liangxian.obligations.models import Obligation
from liangxian.obligations.services import obligations_generate, rules_load
from liangxian.outreach import notice as printing
from liangxian.outreach import rules, selectors, services
from liangxian.outreach.models import ActivityKind, Attendance, NoticeStatus, PostingProof
from liangxian.outreach.services import OutreachError
from liangxian.registry.tests import factories as f

from .fixtures import JPEG, PNG, outreach_county

D = dt.date


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三丰", "张*丰"), ("李明", "李*"), ("阿依古丽·艾买提", "阿*提"), ("王", "王"), ("", ""), (" 赵四 ", "赵*")],
)
def test_a_name_on_the_public_list_keeps_only_its_first_and_last_character(name: str, masked: str) -> None:
    assert rules.mask_name(name) == masked


@pytest.mark.parametrize(("day", "period"), [(D(2026, 6, 30), "2026#1"), (D(2026, 7, 1), "2026#2")])
def test_an_activity_counts_in_its_half_year(day: dt.date, period: str) -> None:
    assert rules.half_year(day) == period


def test_sniffing_tells_a_photo_by_its_first_bytes_not_its_name() -> None:
    assert rules.sniff(PNG, rules.PHOTO_TYPES) == ("image/png", "png")
    assert rules.sniff(JPEG, rules.PHOTO_TYPES) == ("image/jpeg", "jpg")
    assert rules.sniff(b"%PDF-1.7", rules.PHOTO_TYPES) is None
    assert rules.sniff(b"%PDF-1.7", rules.ATTACHMENT_TYPES) == ("application/pdf", "pdf")


pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_a_joint_training_fulfils_the_training_obligation_of_each_department_for_its_half_year() -> None:
    county = outreach_county()
    rules_load(actor=None)
    obligations_generate(actor=None, campaign=county["campaign"])

    activity = services.activity_record(
        by=county["tax"],
        kind=ActivityKind.TRAINING,
        held_on=D(2026, 8, 20),
        title="征缴业务培训",
        township_codes=[f.TOWN_A, f.TOWN_B],
        joint_unit_codes=["653123-medical"],
        participant_ids=[county["specialist_b"].pk],
        present_ids=[county["specialist_a"].pk, county["collector_a1"].pk],
    )

    done = Obligation.objects.filter(rule_id="training", fulfilled_at__isnull=False)
    assert sorted(done.values_list("unit__code", "period")) == [("653123-medical", "2026#2"), ("653123-tax", "2026#2")]
    assert done[0].fulfilled_ref == f"outreach.activity:{activity.pk}"
    assert not Obligation.objects.filter(rule_id="training", unit__code="653123-social", fulfilled_at__isnull=False)
    assert Attendance.objects.filter(activity=activity, present=True).count() == 2
    assert Attendance.objects.get(activity=activity, user=county["specialist_b"]).present is False
    assert AuditEvent.objects.filter(action="outreach.activity.record", object_id=str(activity.pk)).count() == 1


@pytestmark_db
def test_an_inspection_fulfils_inspection_cash_for_each_township_it_covered() -> None:
    county = outreach_county()
    rules_load(actor=None)
    obligations_generate(actor=None, campaign=county["campaign"])

    services.activity_record(
        by=county["discipline"],
        kind=ActivityKind.INSPECTION,
        held_on=D(2026, 3, 10),
        title="现金缴费专项检查",
        village_codes=[f.VILLAGE_A1],
        joint_unit_codes=["653123-tax"],
        minutes="台账与缴入一致",
    )

    done = Obligation.objects.filter(rule_id="inspection.cash", fulfilled_at__isnull=False)
    assert sorted(done.values_list("unit__code", "subject", "period")) == [
        ("653123-discipline", f"org.unit:{f.TOWN_A}", "2026#1"),
        ("653123-tax", f"org.unit:{f.TOWN_A}", "2026#1"),
    ]
    assert not done.filter(subject=f"org.unit:{f.TOWN_B}").exists()


@pytestmark_db
def test_who_may_record_what_and_what_a_record_needs() -> None:
    county = outreach_county()
    town = county["specialist_a"]
    with pytest.raises(OutreachError) as e:
        services.activity_record(by=town, kind="training", held_on=D(2026, 9, 1), title="培训")
    assert e.value.code == "forbidden"
    with pytest.raises(OutreachError) as e:
        services.activity_record(
            by=town, kind="publicity", held_on=D(2026, 9, 1), title="宣传", township_codes=[f.TOWN_B], channel="door"
        )
    assert e.value.code == "forbidden"
    with pytest.raises(OutreachError) as e:
        services.activity_record(by=town, kind="publicity", held_on=D(2026, 9, 1), title="宣传")
    assert e.value.code == "channel_required"
    with pytest.raises(OutreachError) as e:
        services.activity_record(by=county["tax"], kind="inspection", held_on=D(2026, 9, 1), title="检查")
    assert e.value.code == "area_required"
    with pytest.raises(OutreachError) as e:
        services.activity_record(by=county["tax"], kind="training", held_on=D(2099, 1, 1), title="培训")
    assert e.value.code == "future"
    with pytest.raises(OutreachError) as e:
        services.activity_record(
            by=county["tax"], kind="inspection", held_on=D(2026, 9, 1), title="检查", township_codes=["999"]
        )
    assert e.value.code == "bad_area"

    # a township's own door-to-door publicity covers its township by default
    own = services.activity_record(by=town, kind="publicity", held_on=D(2026, 9, 5), title="入户宣传", channel="door")
    assert list(own.areas.values_list("township_code", flat=True)) == [f.TOWN_A]


@pytestmark_db
def test_only_the_organiser_keeps_the_attendance() -> None:
    county = outreach_county()
    a = services.activity_record(
        by=county["tax"],
        kind="drill",
        held_on=D(2026, 9, 2),
        title="系统操作演练",
        participant_ids=[county["collector_a1"].pk],
        practice_site=True,
    )
    with pytest.raises(OutreachError) as e:
        services.activity_attendance_set(by=county["medical"], activity=a, present_ids=[county["collector_a1"].pk])
    assert e.value.code == "forbidden"

    services.activity_attendance_set(
        by=county["tax"], activity=a, present_ids=[county["collector_a1"].pk], absent_ids=[county["collector_b1"].pk]
    )
    assert dict(Attendance.objects.filter(activity=a).values_list("user__username", "present")) == {
        "coll_a1": True,
        "coll_b1": False,
    }
    assert a.practice_site is True


@pytestmark_db
def test_the_shortfall_names_the_departments_and_townships_below_the_minimum_and_who_missed_every_training() -> None:
    county = outreach_county()
    tax = county["tax"]
    for day in (D(2026, 4, 1), D(2026, 9, 1)):
        services.activity_record(
            by=tax,
            kind="training",
            held_on=day,
            title="培训",
            joint_unit_codes=["653123-social"],
            present_ids=[county["specialist_a"].pk],
            participant_ids=[county["collector_a1"].pk],
        )
    for day in (D(2026, 4, 2), D(2026, 10, 2)):
        services.activity_record(by=tax, kind="inspection", held_on=day, title="检查", township_codes=[f.TOWN_A])
    services.activity_record(
        by=county["specialist_a"], kind="publicity", held_on=D(2026, 9, 10), title="广播", channel="broadcast"
    )
    services.activity_record(  # before the period: does not count
        by=county["specialist_b"], kind="publicity", held_on=D(2026, 8, 1), title="广播", channel="broadcast"
    )

    result = selectors.shortfall(2026)

    short = {(r.kind, r.code): r.missing for r in result.short}
    assert ("training", "tax") not in short and ("training", "social") not in short
    assert short[("training", "medical")] == 2
    assert short[("drill", "tax")] == 2
    assert ("inspection", f.TOWN_A) not in short and short[("inspection", f.TOWN_B)] == 2
    assert ("publicity", f.TOWN_A) not in short and short[("publicity", f.TOWN_B)] == 1
    missed = {m.username: m.invited for m in result.missed}
    assert "spec_a" not in missed
    assert missed == {"spec_b": 0, "coll_a1": 2, "coll_b1": 0}
    assert selectors.shortfall_dict(result)["period"] == ["2026-09-01", "2026-12-31"]


@pytestmark_db
def test_the_county_may_raise_a_minimum() -> None:
    from liangxian.outreach.models import ActivityMinimum

    county = outreach_county()
    ActivityMinimum.objects.create(kind="publicity", per="township", minimum=3)
    services.activity_record(
        by=county["specialist_a"], kind="publicity", held_on=D(2026, 9, 10), title="广播", channel="broadcast"
    )
    rows = {r.code: r.missing for r in selectors.shortfall(2026).rows if r.kind == "publicity"}
    assert rows == {f.TOWN_A: 2, f.TOWN_B: 3}


@pytestmark_db
def test_the_paid_list_is_net_of_refunds_for_the_coverage_year_and_masked() -> None:
    county = outreach_county()
    rows = selectors.village_paid(county["campaign"], f.VILLAGE_A1)
    people = county["people"]
    assert [r.name for r in rows] == ["张*丰", "阿*提"]  # 李明 was refunded; sorted by the name as recorded
    zhang = rows[0]
    assert zhang.insurances == ("medical", "pension")
    assert zhang.id_number == people["zhang"].id_number[:6] + "********" + people["zhang"].id_number[-4:]
    assert zhang.person_id == people["zhang"].pk


@pytestmark_db
def test_tax_drafts_and_publishes_the_county_notice_once() -> None:
    county = outreach_county()
    campaign = county["campaign"]
    with pytest.raises(OutreachError) as e:
        services.county_notice_draft(by=county["medical"], campaign=campaign)
    assert e.value.code == "forbidden"
    with pytest.raises(OutreachError) as e:
        services.county_notice_publish(by=county["tax"], campaign=campaign)
    assert e.value.code == "not_found"

    notice = services.county_notice_draft(by=county["tax"], campaign=campaign, note="请按时缴费")
    assert notice.complaint_phone == "0998-1234567"  # the tax bureau's phone by default
    assert "wechat" in notice.channels
    services.county_notice_draft(by=county["tax"], campaign=campaign, complaint_phone="12366")
    published = services.county_notice_publish(by=county["tax"], campaign=campaign)
    assert published.status == NoticeStatus.PUBLISHED and published.complaint_phone == "12366"
    with pytest.raises(OutreachError) as e:
        services.county_notice_draft(by=county["tax"], campaign=campaign)
    assert e.value.code == "published"
    assert AuditEvent.objects.filter(action__startswith="outreach.county_notice").count() == 3


@pytestmark_db
def test_the_village_head_sends_a_photo_of_the_posted_list_and_nothing_else() -> None:
    county = outreach_county()
    campaign = county["campaign"]
    with pytest.raises(OutreachError) as e:
        services.posting_proof_upload(
            by=county["head_a1"], campaign=campaign, village_code=f.VILLAGE_A1, content=b"%PDF-1"
        )
    assert e.value.code == "file_type"
    with pytest.raises(OutreachError) as e:
        services.posting_proof_upload(
            by=county["collector_b1"], campaign=campaign, village_code=f.VILLAGE_A1, content=PNG
        )
    assert e.value.code == "forbidden"
    with pytest.raises(OutreachError) as e:
        services.posting_proof_upload(
            by=county["specialist_a"], campaign=campaign, village_code=f.VILLAGE_A1, content=PNG
        )
    assert e.value.code == "forbidden"
    with pytest.raises(OutreachError) as e:
        services.posting_proof_upload(
            by=county["head_a1"],
            campaign=campaign,
            village_code=f.VILLAGE_A1,
            content=JPEG + b"\x00" * rules.PHOTO_MAX_BYTES,
        )
    assert e.value.code == "too_large"

    proof = services.posting_proof_upload(
        by=county["head_a1"], campaign=campaign, village_code=f.VILLAGE_A1, content=PNG, place="村委会公示栏"
    )
    assert proof.content_type == "image/png" and proof.township_code == f.TOWN_A and len(proof.sha256) == 64
    assert proof.photo.read() == PNG
    with pytest.raises(OutreachError) as e:
        services.posting_proof_upload(
            by=county["collector_a1"], campaign=campaign, village_code=f.VILLAGE_A1, content=PNG
        )
    assert e.value.code == "duplicate"
    overview = {r.code: r for r in selectors.villages_overview(county["tax"], campaign)}
    assert overview[f.VILLAGE_A1].proofs == 1 and overview[f.VILLAGE_A2].proofs == 0
    assert overview[f.VILLAGE_A1].paid == 2 and overview[f.VILLAGE_A2].paid == 1
    assert PostingProof.objects.count() == 1


@pytestmark_db
def test_scope_of_the_notices_tax_all_a_township_its_villages_a_village_its_own() -> None:
    county = outreach_county()
    campaign = county["campaign"]
    assert len(selectors.villages_overview(county["tax"], campaign)) == 3
    assert [r.code for r in selectors.villages_overview(county["specialist_a"], campaign)] == [
        f.VILLAGE_A1,
        f.VILLAGE_A2,
    ]
    assert [r.code for r in selectors.villages_overview(county["head_a1"], campaign)] == [f.VILLAGE_A1]
    assert selectors.villages_overview(county["medical"], campaign) == []
    assert selectors.village_visible(county["head_a1"], f.VILLAGE_A2) is None


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    text = unicodedata.normalize("NFKC", "".join(page.extract_text() for page in reader.pages))
    return "".join(text.split())


@pytestmark_db
def test_the_paid_list_prints_in_chinese_and_uyghur_with_names_and_ids_masked() -> None:
    county = outreach_county()
    campaign = county["campaign"]
    village = selectors.village_visible(county["tax"], f.VILLAGE_A1)
    rows = selectors.village_paid(campaign, f.VILLAGE_A1)
    zhang = county["people"]["zhang"].id_number

    zh = pdf_text(printing.paid_list_pdf(campaign=campaign, village=village, rows=rows, lang="zh", printed_by="tax"))
    ug = pdf_text(printing.paid_list_pdf(campaign=campaign, village=village, rows=rows, lang="ug", printed_by="tax"))

    for text in (zh, ug):
        assert "张*丰" in text and "阿*提" in text and zhang[-4:] in text
        assert zhang not in text and "张三丰" not in text and "李" not in text
    assert "一村" in zh and "كەنت" in ug  # the village's name in each language
    with translation.override("ug"):
        count_line = gettext("Residents who have paid: %(count)s") % {"count": 2}
    # right-to-left lines come out of the PDF reordered: look for each word of the translated line
    assert all(word.strip(":：") in ug for word in count_line.split())


@pytestmark_db
def test_the_county_notice_prints_the_campaign_period_tiers_and_phone() -> None:
    county = outreach_county()
    notice = services.county_notice_draft(by=county["tax"], campaign=county["campaign"], complaint_phone="12366")
    for lang in ("zh", "ug"):
        text = pdf_text(printing.county_notice_pdf(notice, lang))
        # a date inside a right-to-left line comes out of the PDF with its parts reversed
        assert "2026-09-01" in text or "01-09-2026" in text
        assert "2026-12-31" in text or "31-12-2026" in text
        assert "¥400.00" in text and "¥700.00" in text and "¥500.00" in text
        assert "12366" in text
    with pytest.raises(ValueError):
        printing.county_notice_pdf(notice, "fr")
