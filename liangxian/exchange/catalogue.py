"""The catalogue of the lists the measures name, kept as data in data/datasets.json (Art 7, 10-17, 29)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from django.db import transaction
from django.utils.translation import gettext as _

from liangxian.core.audit import audit_record

from .errors import ExchangeError
from .models import Dataset

if TYPE_CHECKING:
    from liangxian.batch.readers import ColumnSpec
    from liangxian.org.models import User

CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "datasets.json"
_FIELDS = (
    "name",
    "article",
    "provider",
    "provider_kind",
    "consumers",
    "columns",
    "person_column",
    "category_column",
    "category",
    "needs_approval",
    "approval_stages",
    "deadline_rule",
    "frequency",
    "authority_for_identity",
    "active",
    "source",
)
_DEFAULTS: dict[str, Any] = {
    "article": "",
    "provider": "",
    "provider_kind": "department",
    "consumers": [],
    "person_column": "id_number",
    "category_column": "",
    "category": "",
    "needs_approval": False,
    "approval_stages": [],
    "deadline_rule": {},
    "frequency": "",
    "authority_for_identity": False,
    "active": True,
    "source": "",
}


@dataclass(frozen=True)
class CatalogueResult:
    """What loading the catalogue did."""

    created: int
    updated: int
    unchanged: int


def catalogue_entries(path: Path = CATALOGUE_PATH) -> list[dict[str, Any]]:
    """Read the catalogue file: one dict per dataset, shared approval stages expanded."""
    document = orjson.loads(path.read_bytes())
    entries = []
    for raw in document["datasets"]:
        entry = {**_DEFAULTS, **raw}
        stages = entry["approval_stages"]
        if isinstance(stages, str):  # a named set of stages shared by several lists
            entry["approval_stages"] = document[stages]
        entries.append(entry)
    return entries


@cache
def _aliases() -> dict[str, str]:
    return {alias: e["code"] for e in catalogue_entries() for alias in e.get("aliases", [])}


@transaction.atomic
def catalogue_load(*, actor: User | None = None, path: Path = CATALOGUE_PATH) -> CatalogueResult:
    """Create or refresh every dataset of the catalogue file; running it twice changes nothing the second time."""
    created = updated = unchanged = 0
    changed_codes: list[str] = []
    for entry in catalogue_entries(path):
        values = {f: entry[f] for f in _FIELDS}
        dataset = Dataset.objects.filter(code=entry["code"]).first()
        if dataset is None:
            Dataset.objects.create(code=entry["code"], **values)
            created += 1
            changed_codes.append(entry["code"])
            continue
        differs = [f for f, v in values.items() if getattr(dataset, f) != v]
        if not differs:
            unchanged += 1
            continue
        for f in differs:
            setattr(dataset, f, values[f])
        dataset.save(update_fields=differs)
        updated += 1
        changed_codes.append(entry["code"])
    if changed_codes:
        audit_record(
            actor=actor,
            action="exchange.catalogue.load",
            object_type="exchange.dataset",
            payload={"created": created, "updated": updated, "codes": changed_codes},
        )
    return CatalogueResult(created=created, updated=updated, unchanged=unchanged)


def dataset_resolve(kind: str | Dataset) -> Dataset:
    """Find a dataset by its code or one of its aliases (the demo files' kinds); raise ExchangeError if none."""
    if isinstance(kind, Dataset):
        return kind
    code = _aliases().get(kind, kind)
    dataset = Dataset.objects.filter(code=code, active=True).first()
    if dataset is None:
        raise ExchangeError("unknown_kind", _("There is no list of kind %(kind)s.") % {"kind": kind})
    return dataset


def column_specs(dataset: Dataset) -> list[ColumnSpec]:
    """Turn the dataset's column data into the readers' column specifications."""
    from liangxian.batch.readers import ColumnSpec

    return [
        ColumnSpec(
            key=c["key"],
            label=c["label"],
            synonyms=tuple(c.get("synonyms", ())),
            required=bool(c.get("required", False)),
            type=c.get("type", "text"),
        )
        for c in dataset.columns
    ]


def _months_before(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _quarter_end(day: dt.date) -> dt.date:
    month = ((day.month - 1) // 3) * 3 + 3
    return dt.date(day.year, month, calendar.monthrange(day.year, month)[1])


def deadline_for(
    rule: dict[str, Any], *, start: dt.date | None = None, period_day: dt.date | None = None
) -> dt.date | None:
    """Compute a list's due date from its rule and the campaign start S or a day of the period (Art 10-17).

    ``before_start`` counts back from S (months, then days); ``after_quarter_end`` counts calendar days after the
    end of the quarter holding ``period_day``. ``quarterly`` without days, ``set_by_county`` and event rules have no
    date of their own here: None (the county sets it, or the event gives it).
    """
    kind = rule.get("kind")
    if kind == "before_start" and start is not None:
        due = _months_before(start, int(rule.get("months") or 0))
        return due - dt.timedelta(days=int(rule.get("days") or 0))
    if kind in ("after_quarter_end", "quarterly") and period_day is not None and rule.get("days") is not None:
        return _quarter_end(period_day) + dt.timedelta(days=int(rule["days"]))
    return None


def deadline_text(rule: dict[str, Any]) -> str:
    """Say a deadline rule in words for the template's help sheet and the kinds listing."""
    kind = rule.get("kind")
    if kind == "before_start":
        if rule.get("months"):
            text = _("%(n)s month(s) before the concentrated period starts") % {"n": rule["months"]}
        else:
            text = _("%(n)s days before the concentrated period starts") % {"n": rule.get("days", 0)}
        if rule.get("changes"):
            text += _("; identity changes within %(n)s working days") % {"n": rule["changes"].get("working_days")}
        return text
    if kind == "after_quarter_end":
        return _("within %(n)s days after each quarter ends") % {"n": rule.get("days")}
    if kind == "quarterly":
        return _("each quarter")
    if kind == "set_by_county":
        return _("by the date the county sets before the roster is built")
    return ""
