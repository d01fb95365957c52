"""Carry the demo campaign through the roster: build it, send each insurance's part to tax, push the due-lists.

Each step acts as the demo user of the unit the measures give it (medical insurance and social security approve
and send, tax receives and pushes), through the same services the pages call. A step already done is skipped,
so running it twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from liangxian.campaigns.models import Campaign, InsuranceType
from liangxian.org.models import User
from liangxian.roster.build import roster_build
from liangxian.roster.duelists import duelist_push
from liangxian.roster.models import DueListPush, RosterTransmission, TransmissionStatus
from liangxian.roster.transmission import (
    latest_build,
    roster_transmission_approve,
    roster_transmission_receive,
    roster_transmission_send,
)

# Who sends each insurance's roster to tax (Art 7): the demo logins of `liangxian demo-users`.
SENDERS = {InsuranceType.MEDICAL: "medical", InsuranceType.PENSION: "social"}
TAX_USER = "tax"


@dataclass
class DemoRosterResult:
    built: bool = False
    build_number: int | None = None
    sent: list[str] = field(default_factory=list)
    received: dict[str, int] = field(default_factory=dict)  # insurance -> abnormal items found
    pushed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "built": self.built,
            "build": self.build_number,
            "sent": self.sent,
            "abnormal_items": self.received,
            "due_lists_pushed": self.pushed,
        }


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise LookupError(f"demo user {username!r} not found: run `liangxian demo-users` first")
    return user


def demo_roster_run(*, campaign: Campaign, progress: Callable[[str], None] | None = None) -> DemoRosterResult:
    """Build the campaign's roster once, send both parts to tax, let tax check them and push the due-lists."""
    say = progress or (lambda text: None)
    result = DemoRosterResult()
    tax = _user(TAX_USER)
    build = latest_build(campaign)
    if build is None:
        build = roster_build(actor=tax, campaign=campaign)
        result.built = True
        say(f"roster built: #{build.number}")
    result.build_number = build.number
    for insurance, username in SENDERS.items():
        sent = RosterTransmission.objects.filter(campaign=campaign, insurance=insurance, build=build).first()
        if sent is None:
            sender = _user(username)
            sent = roster_transmission_approve(actor=sender, campaign=campaign, insurance=insurance)
            sent = roster_transmission_send(actor=sender, transmission=sent)
            result.sent.append(str(insurance))
            say(f"{insurance} roster sent to tax")
        if sent.status == TransmissionStatus.SENT:
            sent = roster_transmission_receive(actor=tax, transmission=sent)
            result.received[str(insurance)] = sent.abnormal_items.count()
            say(f"{insurance} roster received by tax: {result.received[str(insurance)]} abnormal items")
    if not DueListPush.objects.filter(campaign=campaign, build=build).exists():
        result.pushed = len(duelist_push(actor=tax, campaign=campaign))
        say(f"due-lists pushed to {result.pushed} townships")
    return result
