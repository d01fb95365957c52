"""Demo data of the bureaus app: the daily detail of every day of receipts, and October 2026's monthly reports.

The daily detail is generated as if the scheduler had run each next morning at 08:00. The two bureaus' October
reports differ from tax's figures in what the analysis explains: the medical insurance bureau missed the
month's last day (its detail reached it on 1 November) and the payments still in the queue; the social
security bureau missed the last day. Running it twice adds nothing.
"""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from typing import Any

import polars as pl
from django.utils import timezone

from liangxian.org.models import User

from . import frames, selectors, services
from .models import DailyFile

MONTH = "2026-10"


def _say(stdout: Any, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _morning_after(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time(8)), timezone.get_default_timezone())


def _received(day: int, hour: int) -> datetime:
    """A moment of early November 2026, within the 5 working days after October's end."""
    return timezone.make_aware(datetime(2026, 11, day, hour), timezone.get_default_timezone())


def _bureau_rows(classified: pl.DataFrame, insurance: str, missed: list[str]) -> pl.DataFrame:
    """The bureau's figures per township: tax's, less the payments under the causes it missed."""
    kept = classified.filter((pl.col("insurance") == insurance) & ~pl.col("cause").is_in(missed).fill_null(False))
    figures = frames.tax_figures(kept)
    return figures.filter(~pl.col("township_code").is_in(["", frames.UNKNOWN_TOWNSHIP])).sort("township_code")


def _yuan(fen: int) -> str:
    return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def demo_seed(*, stdout: Any = None) -> dict[str, Any]:
    """Generate the daily detail of the demo's days and enter the bureaus' October 2026 reports."""
    first = services.first_receipt_day()
    yesterday = timezone.localdate() - timedelta(days=1)
    generated = 0
    if first is not None:
        sent = set(DailyFile.objects.filter(current=True).values_list("day", flat=True))
        for day in services.days_with_receipts(first, yesterday):
            if day in sent:
                continue
            made = services.daily_detail_generate(by=None, day=day, at=_morning_after(day))
            generated += 0 if made.skipped or made.empty else 1
    _say(stdout, f"bureaus: daily detail generated for {generated} day(s)\n")
    reports: dict[str, Any] = {}
    medical = User.objects.filter(username="medical", is_active=True).first()
    social = User.objects.filter(username="social", is_active=True).first()
    names = services.townships()
    classified = selectors.month_frame(MONTH)
    if medical is not None:
        rows = _bureau_rows(classified, "medical", ["timing", "queue"])
        buffer = io.StringIO()
        rows.select(
            pl.lit("城乡居民基本医疗保险").alias("险种"),
            pl.col("township_code").replace_strict(names, default=pl.col("township_code")).alias("乡镇"),
            pl.col("persons").cast(pl.String).alias("入账人数"),
            frames.yuan_text(pl.col("amount_fen")).alias("入账金额（元）"),
            pl.col("refund_persons").cast(pl.String).alias("退费人数"),
            frames.yuan_text(pl.col("refund_fen")).alias("退费金额（元）"),
        ).write_csv(buffer)
        result = services.report_import(
            by=medical,
            bureau="medical",
            month=MONTH,
            filename="2026年10月医保月报.csv",
            data=buffer.getvalue().encode("utf-8-sig"),
            at=_received(4, 10),
        )
        reports["medical"] = {"id": result.report.pk, "repeated": result.repeated}
    if social is not None:
        rows = _bureau_rows(classified, "pension", ["timing"])
        lines: list[dict[str, str | None]] = [
            {
                "township": r["township_code"],
                "persons": str(r["persons"]),
                "amount": _yuan(r["amount_fen"]),
                "refund_persons": str(r["refund_persons"]),
                "refund_amount": _yuan(r["refund_fen"]),
            }
            for r in rows.iter_rows(named=True)
        ]
        result = services.report_enter(by=social, bureau="social", month=MONTH, lines=lines, at=_received(5, 16))
        reports["social"] = {"id": result.report.pk, "repeated": result.repeated}
    _say(stdout, f"bureaus: October 2026 reports {reports}\n")
    return {"daily_days": generated, "reports": reports}
