"""``liangxian calendar load|confirm|status``: seed, confirm and inspect the working-day calendar."""

from __future__ import annotations

from typing import Any

import orjson
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from liangxian.core import calendar as cal


class Command(BaseCommand):
    help = "Seed, confirm and inspect the working-day calendar."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Seed the years chinesecalendar knows (2004 onwards).")
        load.add_argument("--first-year", type=int, default=cal.FIRST_YEAR)
        load.add_argument("--last-year", type=int, default=None)
        load.add_argument(
            "--confirm-through",
            type=int,
            metavar="YEAR",
            help="Confirm every complete, unconfirmed year up to YEAR as the system user (for setup).",
        )
        confirm = sub.add_parser("confirm", help="Confirm one year as a user who may edit the calendar.")
        confirm.add_argument("year", type=int)
        confirm.add_argument("--as", dest="username", required=True, metavar="USERNAME")
        status = sub.add_parser("status", help="List the years and whether each is confirmed.")
        status.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"handle_{options['action']}")(**options)
        except cal.CalendarError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        except cal.CalendarEditDenied as exc:
            raise CommandError(f"{exc.code}: {exc}") from exc

    def handle_load(self, *, first_year: int, last_year: int | None, confirm_through: int | None, **_o: Any) -> None:
        result = cal.calendar_seed(actor=None, first_year=first_year, last_year=last_year)
        self.stdout.write(
            _("Calendar %(first)s-%(last)s: %(years)s years and %(days)s days added.")
            % {
                "first": result.first_year,
                "last": result.last_year,
                "years": result.years_created,
                "days": result.days_created,
            }
        )
        if confirm_through is None:
            return
        for summary in cal.calendar_years():
            if summary.year > confirm_through or summary.confirmed:
                continue
            if not summary.complete:
                self.stderr.write(_("%(year)s is incomplete and was not confirmed.") % {"year": summary.year})
                continue
            cal.calendar_year_confirm(actor=None, year=summary.year)
            self.stdout.write(_("%(year)s confirmed.") % {"year": summary.year})

    def handle_confirm(self, *, year: int, username: str, **_o: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user %(username)s.") % {"username": username})
        cal.calendar_year_confirm(actor=user, year=year)
        self.stdout.write(_("%(year)s confirmed.") % {"year": year})

    def handle_status(self, *, json: bool, **_o: Any) -> None:
        years = cal.calendar_years()
        if json:
            rows = [
                {
                    "year": s.year,
                    "confirmed": s.confirmed,
                    "complete": s.complete,
                    "confirmed_by": s.confirmed_by,
                    "confirmed_at": s.confirmed_at,
                    "source": s.source,
                    "days": s.days,
                    "workdays": s.workdays,
                    "holidays": s.holidays,
                    "adjusted_workdays": s.adjusted_workdays,
                    "regional_holidays": s.regional_holidays,
                }
                for s in years
            ]
            self.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
            return
        for s in years:
            state = _("confirmed") if s.confirmed else (_("not confirmed") if s.complete else _("incomplete"))
            self.stdout.write(
                _("%(year)s  %(state)s  %(workdays)s working days, %(regional)s regional holidays  (%(source)s)")
                % {
                    "year": s.year,
                    "state": state,
                    "workdays": s.workdays,
                    "regional": s.regional_holidays,
                    "source": s.source,
                }
            )
        if not years:
            self.stdout.write(_("No year has been entered yet."))
