"""Receivers that turn events of the apps below (the data exchange) into raised and fulfilled obligations."""

from __future__ import annotations


def connect() -> None:
    """Connect the exchange's signals; called once from ObligationsConfig.ready."""
