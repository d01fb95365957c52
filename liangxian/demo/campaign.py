"""The demo's coverage-2027 campaign: created from the defaults, with targets, and the departments' lists in force.

Run after ``demo-data`` and ``demo-users``. Idempotent: a campaign that exists is left as the county edited it,
targets are set only while the campaign has none, and a file already submitted is not submitted again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count, Q
from django.utils import timezone

from liangxian.campaigns import rules
from liangxian.campaigns import services as campaign_services
from liangxian.campaigns.models import Campaign, CampaignStatus, InsuranceType
from liangxian.core.models import DivisionLevel
from liangxian.exchange import services as exchange_services
from liangxian.exchange.catalogue import catalogue_load, dataset_resolve
from liangxian.exchange.errors import DuplicateSubmission
from liangxian.exchange.models import Approval, Dataset, Submission, SubmissionStatus
from liangxian.org import services as org_services
from liangxian.org.models import Role, Unit, UnitKind, User
from liangxian.registry.models import Person, PersonStatus

log = logging.getLogger(__name__)

COVERAGE_YEAR = 2027
COLLECTION_YEAR = 2026
# The concentrated period of the demo: after the National Day holiday (Oct 1-7, 2026) to the year's end.
PERIOD_START = dt.date(2026, 10, 8)
PERIOD_END = dt.date(2026, 12, 31)
DEFAULT_FILES = Path("var/demo/files")


@dataclass
class DemoCampaignResult:
    coverage_year: int
    created: bool
    revision: int
    targets_set: bool
    submitted: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    approved: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "coverage_year": self.coverage_year,
            "created": self.created,
            "revision": self.revision,
            "targets_set": self.targets_set,
            "submitted": self.submitted,
            "already_submitted": self.already,
            "approved": self.approved,
        }


def scan_pdf(title: str) -> bytes:
    """Return a small valid one-page PDF standing in for the signed-and-stamped page of a list (demo only)."""
    text = f"DEMO SCAN - {title}".encode("ascii", "replace")
    stream = b"BT /F1 14 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _tax_user() -> User | None:
    return User.objects.filter(username="tax").first()


def campaign_ensure(*, actor: User | None) -> tuple[Campaign, bool]:
    """Create the coverage-2027 campaign from the defaults unless it exists."""
    existing = Campaign.objects.filter(coverage_year=COVERAGE_YEAR).first()
    if existing is not None:
        return existing, False
    campaign = campaign_services.campaign_create(
        actor=actor,
        coverage_year=COVERAGE_YEAR,
        collection_year=COLLECTION_YEAR,
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        reason="演示数据：按默认数字建立，请核对修改",
    )
    return campaign, True


def register_targets(campaign: Campaign) -> list[campaign_services.TargetSpec]:
    """Derive a demo plan from the register: per village its active residents (medical) and those of pension age.

    Pension counts those whose age on the campaign's reckoning day lies within the pension eligibility bounds.
    Each township's target is the sum of its villages.
    """
    rule = campaign.eligibility_rules.filter(insurance=InsuranceType.PENSION).first()
    on = rules.age_on_date(campaign.coverage_year, rule.age_on if rule else "01-01")
    pension_q = Q()
    if rule is not None and rule.min_age is not None:
        pension_q &= Q(birth_date__lte=on.replace(year=on.year - rule.min_age))
    if rule is not None and rule.max_age is not None:
        pension_q &= Q(birth_date__gt=on.replace(year=on.year - rule.max_age))
    counts = (
        Person.objects.filter(status=PersonStatus.ACTIVE)
        .exclude(village_code="")
        .values("village_code")
        .annotate(medical=Count("pk"), pension=Count("pk", filter=pension_q))
        .order_by("village_code")
    )
    villages = set(
        campaign_services.plan_divisions().filter(level=DivisionLevel.VILLAGE).values_list("code", flat=True)
    )
    lines: list[campaign_services.TargetSpec] = []
    townships: dict[str, dict[str, int]] = {}
    for c in counts:
        code = c["village_code"]
        if code not in villages:
            continue
        row: dict[str, int] = {"medical": c["medical"], "pension": c["pension"]}
        for insurance, count in row.items():
            lines.append(campaign_services.TargetSpec(code, insurance, count))
            sums = townships.setdefault(code[:9], {})
            sums[insurance] = sums.get(insurance, 0) + count
    known = set(campaign_services.plan_divisions().filter(code__in=townships).values_list("code", flat=True))
    for code, sums in sorted(townships.items()):
        if code in known:
            for insurance, total in sums.items():
                lines.append(campaign_services.TargetSpec(code, insurance, total, "演示：按户籍在册人数测算"))
    return lines


def _submitter(dataset: Dataset, entry: dict[str, str]) -> User:
    """Return the demo user who submits a file: the department's staff login, or the township's specialist.

    A township without a demo login gets a specialist with no usable password, only to submit its survey.
    """
    if dataset.provider_kind == UnitKind.TOWNSHIP:
        unit = Unit.objects.filter(kind=UnitKind.TOWNSHIP, name=entry["department"]).first()
        if unit is None:
            raise LookupError(f"no township unit named {entry['department']}")
        user = User.objects.filter(unit=unit, role=Role.SPECIALIST, is_active=True).order_by("pk").first()
        if user is None:
            user = org_services.user_create(
                actor=None,
                username=f"survey_{unit.code}",
                password=None,
                unit=unit,
                role=Role.SPECIALIST,
                full_name=f"{unit.name}摸排专干（演示，无密码）",
            )
        return user
    user = (
        User.objects.filter(
            unit__kind=UnitKind.DEPARTMENT, unit__department=dataset.provider, role=Role.STAFF, is_active=True
        )
        .order_by("pk")
        .first()
    )
    if user is None:
        raise LookupError(f"no demo staff of {dataset.provider}: run demo-users first")
    return user


def _approver(submission: Submission, stage: dict[str, object]) -> User | None:
    roles = [str(r) for r in stage.get("roles") or []] or [Role.STAFF, Role.LEADER]  # type: ignore[attr-defined]
    for role in (Role.STAFF, Role.LEADER):
        if role not in roles:
            continue
        for user in User.objects.filter(role=role, is_active=True, unit__kind=UnitKind.DEPARTMENT).order_by("pk"):
            if exchange_services.approval_may_act(user, submission, stage):
                return user
    return None


def _approve(submission: Submission) -> bool:
    """Record every approval stage still open, each by a demo user who may, with a generated scan."""
    stages = list(submission.dataset.approval_stages or [])
    done = set(Approval.objects.filter(submission=submission).values_list("stage", flat=True))
    for stage in stages:
        if stage["key"] in done:
            continue
        user = _approver(submission, stage)
        if user is None:
            raise LookupError(f"no demo user may approve {stage['key']} of {submission.dataset.code}")
        scan = None
        if stage.get("scan"):
            scan = SimpleUploadedFile("签字盖章页（演示）.pdf", scan_pdf(submission.dataset.code), "application/pdf")
        exchange_services.approval_record(
            actor=user, submission=submission, stage=stage["key"], scan=scan, note="演示：自动审核"
        )
    return bool(stages)


def files_submit(files_dir: Path, result: DemoCampaignResult, progress: Callable[[str], None]) -> None:
    """Submit each demo file of the manifest as its demo user and approve those that need the leader's sign."""
    manifest = json.loads((files_dir / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        dataset = dataset_resolve(entry["kind"])
        user = _submitter(dataset, entry)
        path = files_dir / entry["file"]
        try:
            submission = exchange_services.submission_submit(
                actor=user, dataset=dataset, source=path, filename=entry["file"], note="演示数据"
            )
            result.submitted.append(entry["file"])
            progress(f"submitted {entry['file']}: {submission.rows_total} rows")
        except DuplicateSubmission as exc:
            submission = exc.existing
            result.already.append(entry["file"])
        if submission.status == SubmissionStatus.PENDING_APPROVAL and _approve(submission):
            result.approved.append(entry["file"])
            progress(f"approved {entry['file']}")


def demo_campaign_run(
    *, files_dir: Path = DEFAULT_FILES, submit_files: bool = True, progress: Callable[[str], None] | None = None
) -> DemoCampaignResult:
    """Set up the demo's coverage-2027 campaign, its plan and the lists in force; running it twice changes nothing."""
    say = progress or (lambda text: None)
    catalogue_load()
    campaign, created = campaign_ensure(actor=_tax_user())
    if campaign.status == CampaignStatus.DRAFT and campaign.period_start <= timezone.localdate() <= campaign.period_end:
        # The demo runs inside its concentrated period: the campaign is under way, not a draft.
        campaign = campaign_services.campaign_update(
            actor=_tax_user(), campaign=campaign, status=CampaignStatus.ACTIVE, reason="演示：集中征缴期已开始"
        )
    result = DemoCampaignResult(COVERAGE_YEAR, created, campaign.revision, targets_set=False)
    if submit_files:
        files_submit(files_dir, result, say)
    if not campaign.expansion_targets.exists():
        lines = register_targets(campaign)
        if lines:
            campaign_services.campaign_targets_set(
                actor=_tax_user(), campaign=campaign, targets=lines, reason="演示：按户籍在册人数测算扩面目标"
            )
            result.targets_set = True
    campaign.refresh_from_db()
    result.revision = campaign.revision
    return result
