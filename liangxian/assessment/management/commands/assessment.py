"""`liangxian assessment run|finalise|print|weights`: the assessment from the command line (Art 38-39)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.assessment import printing, selectors, services
from liangxian.assessment.models import AssessmentRun
from liangxian.assessment.services import AssessmentError
from liangxian.org.cli import acting_user, required_user


def run_dict(run: AssessmentRun) -> dict[str, Any]:
    return {
        "year": run.campaign.coverage_year,
        "status": run.status,
        "as_of": run.as_of.isoformat(),
        "before_period_end": run.before_period_end,
        "screening_ran": run.screening_ran,
        "counts": run.counts,
        "scores": [
            {
                "kind": s.subject_kind,
                "code": s.subject_code,
                "name": s.subject_label,
                "rank": s.rank,
                "total": str(s.total),
                "award_lost": s.award_lost,
                "evidence": {c: v["evidence"] for c, v in s.components.items()},
            }
            for s in run.scores.order_by("subject_kind", "rank", "subject_code")
        ],
    }


class Command(BaseCommand):
    help = "Compute, finalise and print a campaign's assessment; show or load the weights (Art 38-39)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="compute the campaign's assessment from the recorded facts (tax)")
        run.add_argument("--campaign", type=int, required=True, help="coverage year")
        run.add_argument("--as", dest="username", default="", help="the acting user (tax); default: the system")
        run.add_argument("--json", action="store_true")
        fin = sub.add_parser("finalise", help="finalise the campaign's assessment (tax)")
        fin.add_argument("--campaign", type=int, required=True)
        fin.add_argument("--as", dest="username", required=True)
        fin.add_argument("--json", action="store_true")
        pr = sub.add_parser("print", help="print the report (PDF; --discipline for the Art 39 report; .xlsx too)")
        pr.add_argument("--campaign", type=int, required=True)
        pr.add_argument("--out", type=Path, required=True, help="FILE.pdf or FILE.xlsx")
        pr.add_argument("--discipline", action="store_true", help="the report to the discipline commission")
        pr.add_argument("--as", dest="username", default="")
        weights = sub.add_parser("weights", help="show the weights and thresholds; --load puts the defaults in")
        weights.add_argument("--load", action="store_true")
        weights.add_argument("--reset", action="store_true", help="with --load: overwrite the current values")
        weights.add_argument("--as", dest="username", default="")
        weights.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "run":
                run = services.assessment_compute(by=acting_user(options["username"]), year=options["campaign"])
                self._show(run_dict(run), options, self._summary(run))
                if run.before_period_end:
                    sys.stderr.write("warning: the collection period has not ended; the figures are provisional\n")
            elif action == "finalise":
                run = services.assessment_finalise(by=required_user(options["username"]), year=options["campaign"])
                self._show(run_dict(run), options, self._summary(run))
            elif action == "print":
                self._print(options)
            else:
                if options["load"]:
                    criteria = services.weights_load(by=acting_user(options["username"]), reset=options["reset"])
                else:
                    criteria = services.current_criteria()
                text = "\n".join(
                    [f"{kind}.{c} = {w}" for kind, ws in criteria["weights"].items() for c, w in ws.items()]
                    + [f"{code} = {v}" for code, v in criteria["thresholds"].items()]
                )
                self._show(criteria, options, text)
        except AssessmentError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc

    def _print(self, options: dict[str, Any]) -> None:
        user = acting_user(options["username"])
        run = (
            AssessmentRun.objects.select_related("campaign").filter(campaign__coverage_year=options["campaign"]).first()
        )
        if user is not None:
            run = selectors.run_get(user, options["campaign"])
        if run is None:
            raise CommandError("no_run: this campaign has not been assessed yet")
        out: Path = options["out"]
        if out.suffix.lower() == ".xlsx":
            content = printing.report_xlsx(user, run)
        elif options["discipline"]:
            content = printing.discipline_pdf(user, run)
        else:
            content = printing.report_pdf(user, run)
        out.write_bytes(content)
        self.stdout.write(f"{out} ({len(content)} bytes)")

    def _summary(self, run: AssessmentRun) -> str:
        counts = run.counts
        return (
            f"{run.campaign.coverage_year} {run.status}: {counts.get('township', 0)} townships, "
            f"{counts.get('department', 0)} departments, {counts.get('staff', 0)} staff; "
            f"{counts.get('award_lost', 0)} lose award eligibility"
            + ("" if run.screening_ran else "; screening not run")
        )

    def _show(self, data: Any, options: dict[str, Any], text: str) -> None:
        if options.get("json"):
            self.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode())
        else:
            self.stdout.write(text)
