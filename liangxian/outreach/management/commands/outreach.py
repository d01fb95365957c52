"""`liangxian outreach notice|shortfall|record`: public notices, the shortfall table and activities from the console."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.core.access import access_log
from liangxian.core.models import AccessAction, Division
from liangxian.core.scope import Actor
from liangxian.org.cli import acting_user, required_user
from liangxian.outreach import notice as printing
from liangxian.outreach import selectors, services
from liangxian.outreach.models import ActivityKind, CountyNotice
from liangxian.outreach.services import OutreachError

SYSTEM_ACTOR = Actor(user_id=None, unit_code="", unit_kind="", department="", role="system", division_code="")


class Command(BaseCommand):
    help = "Print a village's paid list or the county notice (Art 42), show who falls short, record an activity."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        notice = sub.add_parser("notice", help="print a village's paid list (or --county the county notice) as PDF")
        where = notice.add_mutually_exclusive_group(required=True)
        where.add_argument("--village", help="the village's division code (12 digits)")
        where.add_argument("--county", action="store_true", help="the county notice of the campaign")
        notice.add_argument("--lang", choices=["zh", "ug"], default="zh")
        notice.add_argument("--out", type=Path, required=True)
        notice.add_argument("--year", type=int, default=None, help="coverage year (default: the latest campaign)")
        notice.add_argument("--as", dest="username", default=None, help="the acting user (scope; logged)")
        short = sub.add_parser("shortfall", help="who falls short of the yearly minimums")
        short.add_argument("--year", type=int, required=True)
        short.add_argument("--all", action="store_true", help="also those who meet the minimum")
        short.add_argument("--json", action="store_true")
        rec = sub.add_parser("record", help="record a training, drill, publicity activity or inspection")
        rec.add_argument("--as", dest="username", required=True)
        rec.add_argument("--kind", choices=ActivityKind.values, required=True)
        rec.add_argument("--date", required=True, help="YYYY-MM-DD")
        rec.add_argument("--title", required=True)
        rec.add_argument("--township", action="append", default=[], help="a township code (repeatable)")
        rec.add_argument("--village", action="append", default=[], help="a village code (repeatable)")
        rec.add_argument("--channel", default="")
        rec.add_argument("--minutes", default="")
        rec.add_argument("--joint", action="append", default=[], help="a joint department's unit code (repeatable)")
        rec.add_argument("--present", action="append", default=[], help="a username present (repeatable)")
        rec.add_argument("--absent", action="append", default=[], help="a username invited and absent (repeatable)")
        rec.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "notice":
                self._notice(options)
            elif options["action"] == "shortfall":
                self._shortfall(options)
            else:
                self._record(options)
        except OutreachError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc

    def _notice(self, options: dict[str, Any]) -> None:
        campaign = services.campaign_of(options["year"])
        lang = options["lang"]
        user = acting_user(options["username"])
        out: Path = options["out"]
        if options["county"]:
            n = CountyNotice.objects.filter(campaign=campaign).select_related("campaign").first()
            if n is None:
                raise CommandError("not_found: the county notice is not drafted")
            out.write_bytes(printing.county_notice_pdf(n, lang))
            self.stdout.write(f"county notice {campaign.coverage_year} {lang} -> {out}")
            return
        code = options["village"]
        village = (
            selectors.village_visible(user, code)
            if user is not None
            else Division.objects.filter(code=code, level="village").select_related("parent").first()
        )
        if village is None:
            raise CommandError(f"not_found: no village {code} within the acting user's duty")
        rows = selectors.village_paid(campaign, village.code)
        access_log(
            actor=Actor.of(user) if user is not None else SYSTEM_ACTOR,
            action=AccessAction.EXPORT,
            object_type="outreach.paid_list",
            object_ids=[r.person_id for r in rows if r.person_id],
            count=len(rows),
            duty=None if user is not None else "public_notice",
            query=f"paid list pdf {lang} {village.code} {campaign.coverage_year}",
            channel="cli",
        )
        n = CountyNotice.objects.filter(campaign=campaign).first()
        out.write_bytes(
            printing.paid_list_pdf(
                campaign=campaign,
                village=village,
                rows=rows,
                lang=lang,
                printed_by=str(user) if user else "system",
                phone=n.complaint_phone if n else "",
            )
        )
        self.stdout.write(f"paid list {village.code} {campaign.coverage_year} {lang}: {len(rows)} residents -> {out}")

    def _shortfall(self, options: dict[str, Any]) -> None:
        data = selectors.shortfall_dict(selectors.shortfall(options["year"]))
        if not options["all"]:
            data["rows"] = [r for r in data["rows"] if r["missing"]]
        if options["json"]:
            self.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
            return
        for r in data["rows"]:
            self.stdout.write(
                f"{r['kind']}\t{r['code']}\t{r['name']}\t{r['count']}/{r['minimum']}\tmissing={r['missing']}"
            )
        for m in data["missed_all_trainings"]:
            self.stdout.write(f"missed\t{m['username']}\t{m['name']}\t{m['unit']}\tinvited={m['invited']}")

    def _record(self, options: dict[str, Any]) -> None:
        user = required_user(options["username"])
        try:
            held_on = dt.date.fromisoformat(options["date"])
        except ValueError as exc:
            raise CommandError("bad_date: give the date as YYYY-MM-DD") from exc
        present = [required_user(u).pk for u in options["present"]]
        absent = [required_user(u).pk for u in options["absent"]]
        a = services.activity_record(
            by=user,
            kind=options["kind"],
            held_on=held_on,
            title=options["title"],
            township_codes=options["township"],
            village_codes=options["village"],
            channel=options["channel"],
            minutes=options["minutes"],
            joint_unit_codes=options["joint"],
            participant_ids=absent,
            present_ids=present,
        )
        result = {
            "id": a.pk,
            "kind": a.kind,
            "held_on": a.held_on.isoformat(),
            "title": a.title,
            "invited": len(present) + len(absent),
            "present": len(present),
        }
        if options["json"]:
            self.stdout.write(orjson.dumps(result).decode())
        else:
            self.stdout.write("\t".join(f"{k}={v}" for k, v in result.items()))
