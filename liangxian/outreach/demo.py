"""The demo's outreach: trainings, a drill, inspections, publicity, the published county notice and posting proofs.

Run after the demo users and campaign exist. What it records is chosen so the shortfall table has something to
show: social security joined only one training, one drill was held (two are due), only the demo township was
inspected twice (a second township once, the rest never), publicity reached three townships. The county notice is
drafted and published; the demo village and a second one send a photo of their posted list. Running it twice
changes nothing: each record is looked for before it is made.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils import timezone

from liangxian.campaigns.models import Campaign
from liangxian.core.models import Division
from liangxian.org.models import Unit, UnitKind, User

from . import services
from .models import Activity, CountyNotice, NoticeStatus, PostingProof

COUNTY = "653123"


def _photo(label: int) -> bytes:
    """Draw a stand-in photo of a notice board with a sheet posted on it (PNG, the same bytes each run)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 360), (176, 196, 222))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 30, 440, 330), fill=(120, 72, 40))
    draw.rectangle((90, 60, 390, 310), fill=(250, 250, 245))
    draw.rectangle((110, 75, 370, 95), fill=(200, 30, 30))
    for row in range(12):
        y = 110 + row * 16
        draw.line((110, y, 110 + 40 + (row * 37 + label * 11) % 220, y), fill=(60, 60, 60), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _on(day: dt.date) -> dt.date:
    """Keep a demo date from lying in the future on a machine whose clock is earlier than the demo's year."""
    return min(day, timezone.localdate())


def _record(**kwargs: Any) -> tuple[Activity, bool]:
    by: User = kwargs["by"]
    found = Activity.objects.filter(
        kind=kwargs["kind"], title=kwargs["title"], held_on=kwargs["held_on"], organiser=by.unit
    ).first()
    if found is not None:
        return found, False
    return services.activity_record(**kwargs), True


def demo_seed(*, year: int = 2027) -> dict[str, Any]:
    """Fill outreach for the campaign of the coverage year; idempotent."""
    campaign = Campaign.objects.get(coverage_year=year)
    users = {u.username: u for u in User.objects.select_related("unit").filter(is_active=True)}
    tax, discipline, publicity = users["tax"], users["discipline"], users["publicity"]
    township, collector, head = users["township"], users["collector"], users["village_head"]
    assert township.unit is not None and head.unit is not None
    demo_town = str(township.unit.division_id)
    demo_village = str(head.unit.division_id)
    towns = list(
        Division.objects.filter(level="township", code__startswith=COUNTY)
        .order_by("code")
        .values_list("code", flat=True)
    )
    others = [t for t in towns if t != demo_town]
    y = campaign.collection_year
    start = campaign.period_start
    staff = [township.pk, collector.pk]
    made: list[bool] = []

    def record(**kwargs: Any) -> Activity:
        activity, created = _record(**kwargs)
        made.append(created)
        return activity

    record(
        by=tax,
        kind="training",
        held_on=_on(dt.date(y, 4, 16)),
        title="上半年社保费征缴业务培训",
        township_codes=towns,
        joint_unit_codes=[f"{COUNTY}-medical", f"{COUNTY}-social"],
        present_ids=[township.pk],
        participant_ids=[collector.pk],
        minutes="讲解征缴政策、参保范围、缴费档次和现金缴费管理要求。",
    )
    record(
        by=tax,
        kind="training",
        held_on=_on(start + dt.timedelta(days=-10)),
        title="集中征缴期前业务培训",
        township_codes=towns,
        joint_unit_codes=[f"{COUNTY}-medical"],
        present_ids=staff,
        minutes="讲解本年度缴费标准、缴费渠道、现金台账与缴款时限。",
    )
    record(
        by=tax,
        kind="drill",
        held_on=_on(start + dt.timedelta(days=-8)),
        title="系统操作演练（演练环境）",
        township_codes=[demo_town],
        joint_unit_codes=[f"{COUNTY}-social"],
        present_ids=staff,
        practice_site=True,
        minutes="在演练环境完成现金登记、台账打印、凭证上传和缴费查询。",
    )
    record(
        by=discipline,
        kind="inspection",
        held_on=_on(dt.date(y, 5, 20)),
        title="上半年现金缴费专项检查",
        township_codes=[demo_town, *others[:1]],
        joint_unit_codes=[f"{COUNTY}-tax", f"{COUNTY}-finance"],
        minutes="抽查现金征缴登记台账与缴入记录，未发现收现不缴。",
    )
    record(
        by=discipline,
        kind="inspection",
        held_on=_on(start + dt.timedelta(days=45)),
        title="征缴期现金缴费专项检查",
        township_codes=[demo_town],
        joint_unit_codes=[f"{COUNTY}-tax", f"{COUNTY}-medical"],
        minutes="发现一名协理员隔日缴入现金，已责令整改。",
    )
    record(
        by=publicity,
        kind="publicity",
        held_on=_on(start + dt.timedelta(days=2)),
        title="两险政策广播宣传",
        township_codes=[demo_town, *others[:2]],
        channel="broadcast",
        minutes="县广播电台每日早晚各播一次，连续两周。",
    )
    record(
        by=publicity,
        kind="publicity",
        held_on=_on(start + dt.timedelta(days=5)),
        title="微信公众号缴费指南推送",
        township_codes=[demo_town, *others[:2]],
        channel="wechat",
    )
    record(
        by=township,
        kind="publicity",
        held_on=_on(start + dt.timedelta(days=12)),
        title="入户宣传和缴费辅导",
        village_codes=[demo_village],
        channel="door",
        minutes="协理员入户讲解缴费渠道，帮助老人用微信缴费。",
    )

    notice = CountyNotice.objects.filter(campaign=campaign).first()
    if notice is None:
        notice = services.county_notice_draft(
            by=tax,
            campaign=campaign,
            complaint_phone="0998-12366",
            note="现金缴费请向本村协理员索取缴费证明，并可在微信小程序查询缴费记录。",
            note_ug="نەق پۇل تاپشۇرغاندا كەنت ياردەمچىسىدىن ھەق تاپشۇرۇش ئىسپاتىنى تەلەپ قىلىڭ.",
        )
    published = False
    if notice.status != NoticeStatus.PUBLISHED:
        services.county_notice_publish(by=tax, campaign=campaign)
        published = True

    second = (
        Unit.objects.filter(kind=UnitKind.VILLAGE, division__code__startswith=demo_town)
        .exclude(division_id=demo_village)
        .order_by("code")
        .values_list("division_id", flat=True)
        .first()
    )
    admin = next((u for u in users.values() if u.is_superuser), None)
    proofs = 0
    posted_on = _on(start + dt.timedelta(days=30))
    for n, (village, by) in enumerate(((demo_village, head), (second, admin)), start=1):
        if (
            village is None
            or by is None
            or PostingProof.objects.filter(campaign=campaign, village_code=village).exists()
        ):
            continue
        services.posting_proof_upload(
            by=by,
            campaign=campaign,
            village_code=str(village),
            content=_photo(n),
            posted_on=posted_on,
            place="村委会公示栏",
        )
        proofs += 1
    return {
        "activities_created": sum(made),
        "activities": len(made),
        "notice_published": published,
        "proofs_uploaded": proofs,
    }
