"""Template filters of the obligations: a period key written for readers."""

from __future__ import annotations

import re

from django import template
from django.utils.translation import gettext

register = template.Library()

_CAMPAIGN = re.compile(r"^campaign:(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEARLY = re.compile(r"^(\d{4})#(\d+)$")


@register.filter
def period_label(period: str) -> str:
    """Write a period key ("campaign:2027", "2026-Q3", "2026-10", "2026#1", an event day) for readers."""
    if m := _CAMPAIGN.match(period):
        return gettext("Campaign for %(year)s") % {"year": m.group(1)}
    if m := _QUARTER.match(period):
        return gettext("%(year)s, quarter %(quarter)s") % {"year": m.group(1), "quarter": m.group(2)}
    if m := _MONTH.match(period):
        return gettext("%(year)s-%(month)s") % {"year": m.group(1), "month": m.group(2)}
    if m := _YEARLY.match(period):
        return gettext("%(year)s, time %(n)s") % {"year": m.group(1), "n": m.group(2)}
    return period
