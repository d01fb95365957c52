"""Every write of outreach: activities and attendance, the county notice, the posting proofs (Art 15, 23, 25, 40, 42).

Each is one transaction with one audit row. Recording a training or drill fulfils the organising departments'
obligation ``training`` for its half-year (Art 25); recording an inspection fulfils ``inspection.cash`` for each
township it covered, for every organising department that owes it (Art 40).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.campaigns.models import Campaign
from liangxian.collection.models import Channel
from liangxian.core.audit import audit_record
from liangxian.core.models import Division
from liangxian.obligations.models import ObligationRule
from liangxian.obligations.services import obligation_fulfil
from liangxian.org.models import Role, Unit, UnitKind, User

from . import rules
from .models import (
    Activity,
    ActivityArea,
    ActivityAttachment,
    ActivityKind,
    Attendance,
    CountyNotice,
    NoticeStatus,
    PostingProof,
    PublicityChannel,
)

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

MAX_PK = 2**63 - 1
# The ways to pay a county notice names by default: every channel a payer uses himself.
DEFAULT_CHANNELS = [Channel.WECHAT, Channel.HALL, Channel.ETAX, Channel.SICLIENT, Channel.BANK, Channel.POS]


class OutreachError(Exception):
    """A rule of outreach refused the change; ``code`` says which."""

    def __init__(self, code: str, message: object) -> None:
        self.code = code
        self.message = str(message)
        super().__init__(self.message)


FORBIDDEN_CODES = frozenset({"forbidden"})
NOT_FOUND_CODES = frozenset({"not_found", "no_campaign"})
CONFLICT_CODES = frozenset({"published", "duplicate"})


# ------------------------------------------------------------------------------------------------ who may act


def department_of(user: User) -> str:
    unit = user.unit
    return unit.department if unit is not None and unit.kind == UnitKind.DEPARTMENT else ""


def is_tax(user: User) -> bool:
    return bool(user.is_superuser or department_of(user) == "tax")


def may_record(user: User, kind: str) -> bool:
    """Tell whether the user's unit records activities of this kind (townships: their own publicity)."""
    if user.is_superuser:
        return True
    if department_of(user) in rules.RECORDERS.get(kind, frozenset()):
        return True
    unit = user.unit
    return kind == ActivityKind.PUBLICITY and unit is not None and unit.kind == UnitKind.TOWNSHIP


def village_prefix(user: User) -> str | None:
    """The division prefix of the villages whose notices the user sees: tax all, a township its, a village its."""
    if user.is_superuser or department_of(user) == "tax":
        return settings.LIANGXIAN_COUNTY_CODE
    unit = user.unit
    if unit is not None and unit.kind in (UnitKind.TOWNSHIP, UnitKind.VILLAGE):
        return str(unit.division_id)
    return None


def may_post_proof(user: User, village_code: str) -> bool:
    """Tell whether the user posts the village's notice: its village head or collector (or an administrator)."""
    if user.is_superuser:
        return True
    unit = user.unit
    return (
        unit is not None
        and unit.kind == UnitKind.VILLAGE
        and unit.division_id == village_code
        and user.role in (Role.VILLAGE_HEAD, Role.COLLECTOR)
    )


# ----------------------------------------------------------------------------------------------- activities


def _areas(township_codes: Iterable[str], village_codes: Iterable[str]) -> list[tuple[str, str]]:
    """Check the townships and villages named and return (township, village) pairs; a village brings its township."""
    towns = {c.strip() for c in township_codes if c and c.strip()}
    villages = {c.strip() for c in village_codes if c and c.strip()}
    known = dict(Division.objects.filter(code__in=towns | villages).values_list("code", "level"))
    for code in towns:
        if known.get(code) != "township":
            raise OutreachError("bad_area", _("%(code)s is not a township of the county.") % {"code": code})
    for code in villages:
        if known.get(code) != "village":
            raise OutreachError("bad_area", _("%(code)s is not a village of the county.") % {"code": code})
    pairs = {(v[:9], v) for v in villages}
    covered = {t for t, _v in pairs}
    pairs |= {(t, "") for t in towns if t not in covered}
    return sorted(pairs)


def activity_record(
    *,
    by: User,
    kind: str,
    held_on: dt.date,
    title: str,
    township_codes: Sequence[str] = (),
    village_codes: Sequence[str] = (),
    channel: str = "",
    minutes: str = "",
    joint_unit_codes: Sequence[str] = (),
    participant_ids: Sequence[int] = (),
    present_ids: Sequence[int] = (),
    practice_site: bool | None = None,
) -> Activity:
    """Record a training, drill, publicity activity or inspection with what it covered and who was invited."""
    if kind not in ActivityKind.values:
        raise OutreachError("bad_kind", _("Choose the kind of activity."))
    if not may_record(by, kind):
        raise OutreachError("forbidden", _("Your unit does not record this kind of activity."))
    text = (title or "").strip()
    if not text:
        raise OutreachError("title_required", _("Give the activity a title."))
    if held_on > timezone.localdate():
        raise OutreachError("future", _("An activity is recorded once it has taken place."))
    if kind == ActivityKind.PUBLICITY and channel not in PublicityChannel.values:
        raise OutreachError("channel_required", _("Say through which channel the publicity ran."))
    if kind != ActivityKind.PUBLICITY:
        channel = ""
    areas = _areas(township_codes, village_codes)
    unit = by.unit
    if unit is None:
        raise OutreachError("forbidden", _("Your account acts for no unit."))
    if unit.kind == UnitKind.TOWNSHIP:
        own = str(unit.division_id)
        areas = areas or [(own, "")]
        if any(t != own for t, _v in areas):
            raise OutreachError("forbidden", _("A township records activities in its own township only."))
    if kind == ActivityKind.INSPECTION and not areas:
        raise OutreachError("area_required", _("Name the townships or villages the inspection covered."))
    joint = list(Unit.objects.filter(code__in=[c for c in joint_unit_codes if c], kind=UnitKind.DEPARTMENT))
    if len(joint) != len({c for c in joint_unit_codes if c}):
        raise OutreachError("bad_unit", _("A joint unit named is not a county department."))
    invited = set(participant_ids) | set(present_ids)
    users = {u.pk for u in User.objects.filter(pk__in=[i for i in invited if 0 < i <= MAX_PK], is_active=True)}
    if users != invited:
        raise OutreachError("bad_participant", _("A participant named is not an active user."))
    drill = kind == ActivityKind.DRILL
    with transaction.atomic():
        activity = Activity.objects.create(
            kind=kind,
            held_on=held_on,
            title=text[:200],
            organiser=unit,
            channel=channel,
            minutes=(minutes or "").strip(),
            practice_site=bool(settings.LIANGXIAN_PRACTICE_SITE if practice_site is None else practice_site) and drill,
            recorded_by=by,
            recorded_at=timezone.now(),
        )
        activity.joint_units.set(joint)
        ActivityArea.objects.bulk_create(
            [ActivityArea(activity=activity, township_code=t, village_code=v) for t, v in areas]
        )
        present = set(present_ids)
        Attendance.objects.bulk_create(
            [Attendance(activity=activity, user_id=uid, present=uid in present) for uid in sorted(invited)]
        )
        audit_record(
            actor=by,
            action="outreach.activity.record",
            obj=activity,
            payload={
                "kind": kind,
                "held_on": held_on,
                "title": activity.title,
                "channel": channel,
                "areas": [f"{t}/{v}" if v else t for t, v in areas],
                "joint": [u.code for u in joint],
                "invited": len(invited),
                "present": len(present),
            },
        )
        _fulfil(activity, by, [unit, *joint], [t for t, _v in areas])
    return activity


def _fulfil(activity: Activity, by: User, units: list[Unit], townships: list[str]) -> None:
    """Meet the obligations the activity fulfils: ``training`` (Art 25) or ``inspection.cash`` per township (Art 40)."""
    if activity.kind in (ActivityKind.TRAINING, ActivityKind.DRILL):
        code, owners = "training", rules.TRAINING_OWNERS
    elif activity.kind == ActivityKind.INSPECTION:
        code, owners = "inspection.cash", rules.INSPECTION_OWNERS
    else:
        return
    if not ObligationRule.objects.filter(code=code).exists():
        return  # the obligation rules are not loaded (a bare database): the activity still counts
    at = timezone.make_aware(dt.datetime.combine(activity.held_on, dt.time(12)))
    period = rules.half_year(activity.held_on)
    ref = f"outreach.activity:{activity.pk}"
    owing = [u for u in units if u.kind == UnitKind.DEPARTMENT and u.department in owners]
    if code == "training":
        for unit in owing:
            obligation_fulfil(rule_code=code, unit=unit, ref=ref, label=activity.title, at=at, actor=by, period=period)
        return
    town_units = Unit.objects.filter(kind=UnitKind.TOWNSHIP, division_id__in=set(townships))
    for town in town_units:
        for unit in owing:
            obligation_fulfil(
                rule_code=code,
                unit=unit,
                ref=ref,
                label=activity.title,
                at=at,
                actor=by,
                period=period,
                subject=f"org.unit:{town.code}",
            )


def activity_attendance_set(
    *, by: User, activity: Activity | int, present_ids: Sequence[int], absent_ids: Sequence[int] = ()
) -> Activity:
    """Mark who of the invited took part (adding those newly named); only the organiser's unit does it."""
    pk = activity.pk if isinstance(activity, Activity) else int(activity)
    with transaction.atomic():
        locked = Activity.objects.select_for_update().filter(pk=pk).first() if 0 < pk <= MAX_PK else None
        if locked is None:
            raise OutreachError("not_found", _("No such activity."))
        if not (by.is_superuser or (by.unit_id is not None and by.unit_id == locked.organiser_id)):
            raise OutreachError("forbidden", _("Only the organiser's unit keeps the attendance."))
        present, absent = set(present_ids), set(absent_ids) - set(present_ids)
        named = present | absent
        found = set(User.objects.filter(pk__in=[i for i in named if 0 < i <= MAX_PK]).values_list("pk", flat=True))
        if found != named:
            raise OutreachError("bad_participant", _("A participant named is not a user."))
        rows = {a.user_id: a for a in Attendance.objects.filter(activity=locked)}
        changed = []
        for uid in named:
            row = rows.get(uid)
            if row is None:
                rows[uid] = Attendance(activity=locked, user_id=uid, present=uid in present)
            elif row.present != (uid in present):
                row.present = uid in present
                changed.append(row)
        Attendance.objects.bulk_create([a for a in rows.values() if a.pk is None])
        Attendance.objects.bulk_update(changed, ["present"])
        audit_record(
            actor=by,
            action="outreach.activity.attendance",
            obj=locked,
            payload={"present": sorted(present), "absent": sorted(absent)},
        )
    return locked


def activity_attach(*, by: User, activity: Activity | int, content: bytes, filename: str) -> ActivityAttachment:
    """Keep a file with an activity: a sign-in sheet, a photo or a report (PDF, PNG, JPEG by their first bytes)."""
    pk = activity.pk if isinstance(activity, Activity) else int(activity)
    if len(content) > rules.ATTACHMENT_MAX_BYTES:
        raise OutreachError("too_large", _("The file is larger than 10 MB."))
    kind = rules.sniff(content[:16], rules.ATTACHMENT_TYPES)
    if kind is None:
        raise OutreachError("file_type", _("The file must be a PDF, PNG or JPEG file."))
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        locked = Activity.objects.select_for_update().filter(pk=pk).first() if 0 < pk <= MAX_PK else None
        if locked is None:
            raise OutreachError("not_found", _("No such activity."))
        if not (by.is_superuser or (by.unit_id is not None and by.unit_id == locked.organiser_id)):
            raise OutreachError("forbidden", _("Only the organiser's unit adds files to the activity."))
        if ActivityAttachment.objects.filter(activity=locked, sha256=digest).exists():
            raise OutreachError("duplicate", _("This file is already kept with the activity."))
        attachment = ActivityAttachment(
            activity=locked,
            filename=(filename or "file").replace("\x00", "")[-200:],
            sha256=digest,
            content_type=kind[0],
            size=len(content),
            uploaded_by=by,
            uploaded_at=timezone.now(),
        )
        attachment.file.save(f"activity-{locked.pk}-{digest[:12]}.{kind[1]}", ContentFile(content), save=False)
        attachment.save()
        audit_record(
            actor=by,
            action="outreach.activity.attach",
            obj=attachment,
            payload={"activity": locked.pk, "sha256": digest, "type": kind[0], "size": len(content)},
        )
    return attachment


# ------------------------------------------------------------------------------------------- the county notice


def campaign_of(year: int | None) -> Campaign:
    """The campaign of a coverage year, or the latest one."""
    qs = Campaign.objects.all()
    found = qs.filter(coverage_year=year).first() if year else qs.order_by("-coverage_year").first()
    if found is None:
        raise OutreachError("no_campaign", _("No campaign for this coverage year."))
    return found


def county_notice_draft(
    *,
    by: User,
    campaign: Campaign,
    complaint_phone: str = "",
    note: str = "",
    note_ug: str = "",
    channels: Sequence[str] | None = None,
) -> CountyNotice:
    """Draft (or redraft, while unpublished) tax's county notice of the campaign (Art 42)."""
    if not is_tax(by):
        raise OutreachError("forbidden", _("Only the tax bureau drafts the county notice."))
    chosen = [c for c in (channels if channels is not None else DEFAULT_CHANNELS) if c]
    if any(c not in Channel.values for c in chosen):
        raise OutreachError("bad_channel", _("A way to pay named is not a collection channel."))
    phone = (complaint_phone or "").strip() or (by.unit.phone if by.unit else "") or ""
    with transaction.atomic():
        notice = CountyNotice.objects.select_for_update().filter(campaign=campaign).first()
        if notice is not None and notice.status == NoticeStatus.PUBLISHED:
            raise OutreachError("published", _("The county notice is published and can no longer be changed."))
        if notice is None:
            notice = CountyNotice(campaign=campaign)
        notice.complaint_phone = phone[:40]
        notice.channels = [str(c) for c in chosen]
        notice.note = (note or "").strip()
        notice.note_ug = (note_ug or "").strip()
        notice.drafted_by = by
        notice.drafted_at = timezone.now()
        notice.save()
        audit_record(
            actor=by,
            action="outreach.county_notice.draft",
            obj=notice,
            payload={"campaign": campaign.coverage_year, "phone": notice.complaint_phone, "channels": notice.channels},
        )
    return notice


def county_notice_publish(*, by: User, campaign: Campaign) -> CountyNotice:
    """Publish the county notice: it can be printed and posted, and no longer edited (Art 42)."""
    if not is_tax(by):
        raise OutreachError("forbidden", _("Only the tax bureau publishes the county notice."))
    with transaction.atomic():
        notice = CountyNotice.objects.select_for_update().filter(campaign=campaign).first()
        if notice is None:
            raise OutreachError("not_found", _("Draft the county notice first."))
        if notice.status == NoticeStatus.PUBLISHED:
            raise OutreachError("published", _("The county notice is already published."))
        if not notice.complaint_phone:
            raise OutreachError("phone_required", _("The notice needs the complaint phone before it is published."))
        notice.status = NoticeStatus.PUBLISHED
        notice.published_by = by
        notice.published_at = timezone.now()
        notice.save(update_fields=["status", "published_by", "published_at"])
        audit_record(
            actor=by,
            action="outreach.county_notice.publish",
            obj=notice,
            payload={"campaign": campaign.coverage_year},
        )
    return notice


# ------------------------------------------------------------------------------------------- posting proofs


def posting_proof_upload(
    *,
    by: User,
    campaign: Campaign,
    village_code: str,
    content: bytes,
    posted_on: dt.date | None = None,
    place: str = "",
) -> PostingProof:
    """Keep the photo of a village's paid list as posted, sent back to tax (Art 42); JPEG or PNG only."""
    village = Division.objects.filter(code=village_code, level="village").first()
    if village is None:
        raise OutreachError("not_found", _("No such village."))
    if not may_post_proof(by, village_code):
        raise OutreachError("forbidden", _("The village head or collector of the village sends its posting proof."))
    if len(content) > rules.PHOTO_MAX_BYTES:
        raise OutreachError("too_large", _("The photo is larger than 8 MB."))
    kind = rules.sniff(content[:16], rules.PHOTO_TYPES)
    if kind is None:
        raise OutreachError("file_type", _("The photo must be a JPEG or PNG file."))
    day = posted_on or timezone.localdate()
    if day > timezone.localdate():
        raise OutreachError("future", _("The notice cannot have been posted in the future."))
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        if PostingProof.objects.filter(campaign=campaign, village_code=village_code, sha256=digest).exists():
            raise OutreachError("duplicate", _("This photo is already kept for the village."))
        proof = PostingProof(
            campaign=campaign,
            village_code=village_code,
            township_code=village_code[:9],
            sha256=digest,
            content_type=kind[0],
            size=len(content),
            posted_on=day,
            place=(place or "").replace("\x00", "").strip()[:200],
            uploaded_by=by,
            uploaded_at=timezone.now(),
        )
        proof.photo.save(
            f"proof-{campaign.coverage_year}-{village_code}-{digest[:12]}.{kind[1]}", ContentFile(content), save=False
        )
        proof.save()
        audit_record(
            actor=by,
            action="outreach.posting_proof.upload",
            obj=proof,
            payload={
                "campaign": campaign.coverage_year,
                "village": village_code,
                "sha256": digest,
                "size": len(content),
            },
        )
    return proof


def read_upload(upload: UploadedFile, limit: int) -> bytes:
    """Read an upload up to one byte past the limit (so a larger one is told apart without reading it whole)."""
    return upload.read(limit + 1)
