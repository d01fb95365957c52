"""What the campaign tells the apps above it (obligations, roster) without importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the transaction of a campaign edit commits, with ``campaign`` (the Campaign), ``revision`` (its
# new number) and ``parts`` (the parts that changed: "period", "status", "tiers", "daijiao", "eligibility",
# "targets", "created"). The obligations engine recomputes dates when the period or the deadlines change.
campaign_changed = Signal()
