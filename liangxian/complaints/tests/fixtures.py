"""A small county with the receiving departments, their heads, an investigator, an auditor and an admin."""

from __future__ import annotations

from typing import Any

from captcha.models import CaptchaStore

from liangxian.complaints import services
from liangxian.org.models import Role, UnitKind
from liangxian.registry.tests import factories as f

# The reporter's identity the tests look for everywhere it must not be.
IDENTITY = {
    "name": "买买提江·吐尔逊",
    "phone": "13899990001",
    "id_number": "653123198001019999",
    "address": "英吉沙镇幸福路7号",
}


def people() -> dict[str, Any]:
    """Build tax (clerk, colleague, head), discipline (investigator, colleague, head), audit and an admin."""
    f.county()
    tax = f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department="tax", code="dept-tax")
    discipline = f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department="discipline", code="dept-discipline")
    audit = f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department="audit", code="dept-audit")
    town = f.unit(f.TOWN_A, kind=UnitKind.TOWNSHIP, code="township-a")
    return {
        "clerk": f.user(tax, Role.STAFF, username="clerk"),
        "tax_other": f.user(tax, Role.STAFF, username="tax_other"),
        "tax_leader": f.user(tax, Role.LEADER, username="tax_leader"),
        "investigator": f.user(discipline, Role.STAFF, username="investigator"),
        "discipline_other": f.user(discipline, Role.STAFF, username="discipline_other"),
        "discipline_leader": f.user(discipline, Role.LEADER, username="discipline_leader"),
        "auditor": f.user(audit, Role.STAFF, username="auditor"),
        "township": f.user(town, Role.STAFF, username="township"),
        "admin": f.user(None, Role.SYSADMIN, username="admin", is_superuser=True, is_staff=True),
    }


def received(p: dict[str, Any], *, assign: bool = True) -> services.Intake:
    """A phoned-in complaint with the reporter's identity, taken by the clerk, assigned to the investigator."""
    intake = services.complaint_receive(
        by=p["clerk"],
        via="phone",
        subject="村协征员收现金不开票",
        text="2026年10月一村协征员收取医保费现金未开具票据。",
        village_code=f.VILLAGE_A1,
        identity=IDENTITY,
    )
    if assign:
        services.complaint_assign(
            by=p["discipline_leader"], complaint_id=intake.complaint.pk, investigator=p["investigator"]
        )
    return intake


def captcha() -> dict[str, str]:
    """A fresh captcha's hidden key and its answer, as the form posts them."""
    key = CaptchaStore.generate_key()
    return {"captcha_0": key, "captcha_1": CaptchaStore.objects.get(hashkey=key).response}
