"""Domain errors of the campaign: what cannot be saved and why, in the clerk's words."""

from __future__ import annotations


class CampaignError(Exception):
    """A campaign edit that cannot be done; ``message`` says why, ``code`` names it for the API."""

    def __init__(self, code: str, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.problems = problems or [message]
