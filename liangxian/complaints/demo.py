"""Demo records: the four departments' published channels, three complaints and three inquiries (Art 24, 43)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from liangxian.org.models import User

from . import services
from .models import Complaint, Inquiry, ReportChannel

CHANNELS_UG = {
    "discipline": ("يېڭىسار ناھىيەلىك ئىنتىزام تەكشۈرۈش كومىتېتى ئەرز-شىكايەت ئىشخانىسى", "خىزمەت كۈنلىرى 10:00-19:30"),
    "tax": ("يېڭىسار ناھىيەلىك باج ئىدارىسى باج تاپشۇرۇش مۇلازىمەت زالى پىكىر ساندۇقى", "خىزمەت كۈنلىرى 10:00-19:30"),
    "medical": ("يېڭىسار ناھىيەلىك داۋالاش كاپالىتى ئىدارىسى 1-قەۋەت ئەرز ساندۇقى", "خىزمەت كۈنلىرى 10:00-19:30"),
    "social": (
        "يېڭىسار ناھىيەلىك كەسىپ بايلىقى ۋە ئىجتىمائىي كاپالەت ئىدارىسى مۇلازىمەت زالى ئەرز ساندۇقى",
        "خىزمەت كۈنلىرى 10:00-19:30",
    ),
}
CHANNELS = {
    "discipline": (
        "英吉沙县纪委监委信访室（县政府大院1号楼）",
        "jwjb@yengisar.example.cn",
        "0998-3612301",
        "工作日 10:00-19:30",
    ),
    "tax": ("英吉沙县税务局办税服务厅意见箱", "sw-jb@yengisar.example.cn", "0998-12366", "工作日 10:00-19:30"),
    "medical": ("英吉沙县医疗保障局一楼举报箱", "yb-jb@yengisar.example.cn", "0998-3625511", "工作日 10:00-19:30"),
    "social": ("英吉沙县人社局服务大厅举报箱", "rs-jb@yengisar.example.cn", "0998-12333", "工作日 10:00-19:30"),
}
FIRST_SUBJECT = "协征员收取医保费现金未开具票据"


def _at(year: int, month: int, day: int, hour: int = 11) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour, 0))


def demo_seed(*, year: int = 2027) -> dict[str, Any]:
    """Fill the complaints app for the demo; a second call changes nothing."""
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=[
                "tax",
                "tax_leader",
                "discipline",
                "medical",
                "social",
                "township",
                "civil",
            ]
        ).select_related("unit")
    }
    if len(users) < 7:
        return {"skipped": "demo users missing"}
    period = year - 1  # the collection period runs in the autumn before the coverage year
    made: dict[str, Any] = {"channels": 0, "complaints": 0, "inquiries": 0, "follow_codes": {}}
    for department, (mailbox, email, phone, hours) in CHANNELS.items():
        if not ReportChannel.objects.filter(department=department).exists():
            services.channel_update(
                by=users[department],
                department=department,
                mailbox=mailbox,
                email=email,
                phone=phone,
                hours=hours,
                mailbox_ug=CHANNELS_UG[department][0],
                hours_ug=CHANNELS_UG[department][1],
            )
            made["channels"] += 1
    if Complaint.objects.filter(subject=FIRST_SUBJECT).exists():
        return made

    first = services.complaint_receive(
        by=users["tax"],
        via="phone",
        subject=FIRST_SUBJECT,
        text=f"{period}年10月中旬，英吉沙镇一村协征员上门收取医保费现金，未开具任何票据，称“过几天统一给”。",
        village_code="653123100001",
        identity={"name": "吐尔逊江·买买提", "phone": "13899912345", "id_number": "", "address": "英吉沙镇一村3组"},
        received_at=_at(period, 10, 20),
    )
    services.complaint_assign(by=users["tax_leader"], complaint_id=first.complaint.pk, investigator=users["discipline"])
    services.step_record(
        by=users["discipline"], complaint_id=first.complaint.pk, note="调取该村现金收款台账，与缴费记录逐笔核对。"
    )
    second = services.complaint_receive(
        by=None,
        via="web",
        subject="乡镇要求群众先交钱再登记",
        text="芒辛镇有干部说不先交医保就不给办其他业务。",
        township_code="653123200",
        received_at=_at(period, 11, 3),
    )
    third = services.complaint_receive(
        by=users["medical"],
        via="mailbox",
        subject="代缴对象被重复收费",
        text="低保户被村里又收了一次医保费。",
        village_code="653123100002",
        identity={"name": "阿依努尔·艾力", "phone": "13999954321", "id_number": "", "address": ""},
        received_at=_at(period, 10, 9),
    )
    services.complaint_assign(by=users["tax_leader"], complaint_id=third.complaint.pk, investigator=users["discipline"])
    services.step_record(by=users["discipline"], complaint_id=third.complaint.pk, note="会同医保局核对代缴名单。")
    services.complaint_conclude(
        by=users["discipline"],
        complaint_id=third.complaint.pk,
        outcome="经核实属实，已退还重复收取的费用，对村协征员批评教育。",
        public_outcome="经查属实，重复收取的费用已退还。",
    )
    made["complaints"] = 3
    made["follow_codes"] = {i.complaint.number: i.follow_code for i in (first, second, third)}

    handed = services.inquiry_record(
        by=users["township"],
        asker="13899900011",
        question=f"{year}年度医保个人缴费标准是多少？能不能用微信交？",
        channel="phone",
        received_at=_at(period, 10, 12, 10),
    )
    services.inquiry_hand_over(
        by=users["township"], inquiry_id=handed.pk, to=users["tax"], reason="缴费标准和渠道由税务部门答复"
    )
    answered = services.inquiry_record(
        by=users["tax"],
        asker="阿卜杜拉（来访）",
        question="去年交过的还要再交吗？",
        channel="visit",
        received_at=_at(period, 10, 15, 16),
    )
    services.inquiry_answer(by=users["tax"], inquiry_id=answered.pk, answer="居民医保按年度缴纳，每年都要交。")
    services.inquiry_record(
        by=users["civil"],
        asker="13999900022",
        question="特困人员的医保是不是政府代缴？",
        channel="phone",
        received_at=_at(period, 10, 8, 12),
    )
    made["inquiries"] = Inquiry.objects.count()
    return made
