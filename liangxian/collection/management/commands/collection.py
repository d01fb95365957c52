"""`liangxian collection import|issues|keys …`: each area of the collection app adds its own subcommands."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from liangxian.collection import cli_intake, cli_realtime


class Command(BaseCommand):
    help = "Import channel files, work the payment queue, manage the channels' signing keys."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        cli_intake.add_parsers(sub)
        cli_realtime.add_parsers(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        options["run"](self, options)
