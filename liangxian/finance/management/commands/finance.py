"""`liangxian finance accounts|owed|apply|batch|subsidies|fundrequest|transfer|statement|check …` (Art 9)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.campaigns.models import InsuranceType
from liangxian.core.keys import as_key
from liangxian.finance import selectors, services, statements
from liangxian.finance.models import Flow, FundAccount
from liangxian.finance.services import FinanceError
from liangxian.org.cli import acting_user
from liangxian.org.models import User


def _app(app: Any) -> dict[str, Any]:
    return {
        "number": app.number,
        "coverage_year": app.coverage_year,
        "insurance": app.insurance,
        "status": app.status,
        "persons": app.persons,
        "owed_fen": app.owed_fen,
        "approved_fen": app.approved_fen,
        "paid_fen": app.paid_fen,
        "paid_persons": app.paid_persons,
        "lines": [
            {"category": x.category, "label": x.label, "persons": x.persons, "owed_fen": x.owed_fen}
            for x in app.lines.all()
        ],
        "batches": list(app.batches.values_list("batch_no", flat=True)),
    }


class Command(BaseCommand):
    help = "Finance's three flows: accounts, 代缴 owed/applied/batch, subsidies, transfers, statements, the check."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        a = sub.add_parser("accounts", help="list the fund accounts (--seed: create the six that are missing)")
        a.add_argument("--seed", action="store_true")
        o = sub.add_parser("owed", help="代缴 owed per insurance type and category from the roster")
        o.add_argument("--year", type=int, required=True)
        o.add_argument("--insurance", choices=InsuranceType.values, default=None)
        p = sub.add_parser("apply", help="the 代缴 application: draw, submit, approve, reconcile or show")
        p.add_argument("step", choices=["draw", "submit", "approve", "reconcile", "show"])
        p.add_argument("--year", type=int, required=True)
        p.add_argument("--insurance", choices=InsuranceType.values, required=True)
        p.add_argument("--amount", default=None, help="approve: the amount approved in yuan (default: owed)")
        b = sub.add_parser("batch", help="produce the 代缴 batch file (gov channel) of an approved application")
        b.add_argument("--year", type=int, required=True)
        b.add_argument("--insurance", choices=InsuranceType.values, required=True)
        b.add_argument("--out", type=Path, default=None, help="write the csv here")
        b.add_argument("--adopt", default="", help="instead name a batch number collection already holds")
        s = sub.add_parser("subsidies", help="the subsidy standard and the subsidies of the paid persons")
        s.add_argument("--year", type=int, required=True)
        s.add_argument("--seed-rates", action="store_true")
        s.add_argument("--record", action="store_true", help="keep the computed figures")
        s.add_argument(
            "--set", dest="set_rates", default="", help="insurance:tier=rate,… in yuan, e.g. pension:0=30,500=60"
        )
        f = sub.add_parser("fundrequest", help="the yearly application for fiscal funds: draw, submit, approve, show")
        f.add_argument("step", choices=["draw", "submit", "approve", "show"])
        f.add_argument("--year", type=int, required=True)
        t = sub.add_parser("transfer", help="record a transfer to an insurance's fiscal special account, or list")
        t.add_argument("--flow", choices=Flow.values)
        t.add_argument("--insurance", choices=InsuranceType.values)
        t.add_argument("--amount", help="yuan")
        t.add_argument("--date", type=date.fromisoformat, help="value date YYYY-MM-DD")
        t.add_argument("--year", type=int, default=None, help="coverage year")
        t.add_argument("--reference", default="")
        t.add_argument("--from-account", type=int, default=None)
        t.add_argument("--list", action="store_true")
        st = sub.add_parser("statement", help="import a bank statement (MT940, csv, xlsx) of an account, match it")
        st.add_argument("--account", required=True, help="account number or record id")
        st.add_argument("--file", type=Path, default=None)
        c = sub.add_parser("check", help="the overview per flow and whether the figures add up")
        c.add_argument("--year", type=int, required=True)
        c.add_argument("--insurance", choices=InsuranceType.values, default=None)
        for q in sub.choices.values():
            q.add_argument("--as", dest="username", default="", help="the acting user (finance)")
            q.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["username"])
        try:
            result = getattr(self, "_" + options["action"])(user, options)
        except FinanceError as exc:
            raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2, default=str).decode())
        else:
            self.stdout.write(self._text(result))

    def _text(self, result: Any) -> str:
        if isinstance(result, list):
            return "\n".join(self._text(x) for x in result)
        if isinstance(result, dict):
            return "  ".join(f"{k}={v}" for k, v in result.items() if not isinstance(v, list | dict))
        return str(result)

    def _need(self, user: User | None) -> User:
        if user is None:
            raise CommandError("--as USER (a finance bureau user) is required for this action")
        return user

    def _accounts(self, user: User | None, o: dict[str, Any]) -> Any:
        if o["seed"]:
            services.accounts_seed(by=user)
        return [
            {"id": a.pk, "insurance": a.insurance, "kind": a.kind, "name": a.name, "bank": a.bank, "number": a.number}
            for a in FundAccount.objects.all()
        ]

    def _owed(self, user: User | None, o: dict[str, Any]) -> Any:
        return [x.as_dict() for x in services.daijiao_owed(o["year"], o["insurance"])]

    def _apply(self, user: User | None, o: dict[str, Any]) -> Any:
        year, insurance, step = o["year"], o["insurance"], o["step"]
        if step == "draw":
            app = services.application_draw(by=self._need(user), year=year, insurance=insurance)
            return _app(app)
        found = services.DaijiaoApplication.objects.filter(coverage_year=year, insurance=insurance).first()
        if found is None:
            raise CommandError("no application for this year and insurance: draw it first")
        app = found
        if step == "submit":
            app = services.application_submit(by=self._need(user), application_id=app.pk)
        elif step == "approve":
            amount = services.parse_fen(o["amount"], "amount") if o["amount"] else None
            app = services.application_approve(by=self._need(user), application_id=app.pk, approved_fen=amount)
        elif step == "reconcile":
            rec = services.application_reconcile(by=self._need(user), application_id=app.pk)
            return {**_app(rec.application), **rec.as_dict()}
        return _app(app)

    def _batch(self, user: User | None, o: dict[str, Any]) -> Any:
        app = services.DaijiaoApplication.objects.filter(coverage_year=o["year"], insurance=o["insurance"]).first()
        if app is None:
            raise CommandError("no application for this year and insurance")
        if o["adopt"]:
            batch = services.batch_adopt(by=self._need(user), application_id=app.pk, batch_no=o["adopt"])
        else:
            batch = services.batch_produce(by=self._need(user), application_id=app.pk)
            if o["out"] is not None:
                o["out"].write_text(batch.content, encoding="utf-8")
        return {
            "batch_no": batch.batch_no,
            "persons": batch.persons,
            "amount_fen": batch.amount_fen,
            "sha256": batch.sha256,
            "file": str(o["out"] or ""),
        }

    def _subsidies(self, user: User | None, o: dict[str, Any]) -> Any:
        year = o["year"]
        if o["seed_rates"]:
            services.rates_seed(by=self._need(user), year=year)
        if o["set_rates"]:
            insurance, _sep, text = o["set_rates"].partition(":")
            rows = []
            for part in text.split(","):
                tier, _eq, rate = part.partition("=")
                rows.append((services.parse_fen(tier, "tier"), services.parse_fen(rate, "rate")))
            services.rates_set(by=self._need(user), year=year, insurance=insurance, rows=rows)
        if o["record"]:
            services.subsidy_record(by=self._need(user), year=year)
        return [services.subsidy_summary(year, ins) for ins in InsuranceType.values]

    def _fundrequest(self, user: User | None, o: dict[str, Any]) -> Any:
        year, step = o["year"], o["step"]
        if step == "draw":
            services.fundrequest_draw(by=self._need(user), year=year)
        elif step == "submit":
            services.fundrequest_submit(by=self._need(user), year=year)
        elif step == "approve":
            services.fundrequest_approve(by=self._need(user), year=year, approved={})
        req = services._fundrequest(year)
        return {
            "coverage_year": year,
            "status": req.status,
            "lines": [
                {
                    "flow": x.flow,
                    "insurance": x.insurance,
                    "persons": x.persons,
                    "estimated_fen": x.estimated_fen,
                    "approved_fen": x.approved_fen,
                }
                for x in req.lines.all()
            ],
        }

    def _transfer(self, user: User | None, o: dict[str, Any]) -> Any:
        if not o["list"]:
            if not (o["flow"] and o["insurance"] and o["amount"] and o["date"]):
                raise CommandError("--flow, --insurance, --amount and --date are required")
            services.transfer_record(
                by=self._need(user),
                flow=o["flow"],
                insurance=o["insurance"],
                amount_fen=services.parse_fen(o["amount"], "amount"),
                value_date=o["date"],
                reference=o["reference"],
                coverage_year=o["year"],
                from_account_id=o["from_account"],
            )
        from liangxian.finance.models import Transfer

        return [
            {
                "id": t.pk,
                "flow": t.flow,
                "insurance": t.insurance,
                "to": t.to_account.number,
                "amount_fen": t.amount_fen,
                "value_date": t.value_date.isoformat(),
                "reference": t.reference,
                "matched": hasattr(t, "statement_line"),
            }
            for t in Transfer.objects.select_related("to_account")[:200]
        ]

    def _statement(self, user: User | None, o: dict[str, Any]) -> Any:
        key = o["account"]
        pk = as_key(key)
        account = FundAccount.objects.filter(number=key).first() or (
            FundAccount.objects.filter(pk=pk).first() if pk is not None else None
        )
        if account is None:
            raise CommandError(f"no account {key!r}")
        out: dict[str, Any] = {}
        if o["file"] is not None:
            result = statements.statement_import(
                by=self._need(user), account_id=account.pk, data=o["file"].read_bytes(), filename=o["file"].name
            )
            out = {"statement": result.statement.pk, "repeat": result.repeat, **result.statement.counts}
        left = statements.unmatched(account.pk)
        out["unmatched_lines"] = [
            {"date": x.value_date.isoformat(), "amount_fen": x.amount_fen, "reference": x.reference}
            for x in left["lines"]
        ]
        out["unmatched_transfers"] = [
            {"id": t.pk, "date": t.value_date.isoformat(), "amount_fen": t.amount_fen, "reference": t.reference}
            for t in left["transfers"]
        ]
        return out

    def _check(self, user: User | None, o: dict[str, Any]) -> Any:
        out = []
        for insurance in [o["insurance"]] if o["insurance"] else InsuranceType.values:
            view = selectors.overview(o["year"], insurance)
            out.append(
                {
                    "insurance": insurance,
                    "ok": view["ok"],
                    "flows": [{k: v for k, v in f.items() if not k.endswith("_what")} for f in view["flows"]],
                    "checks": [c.as_dict() for c in view["checks"]],
                }
            )
        if not all(x["ok"] for x in out):
            self.stderr.write("the figures do not add up")
        return out
