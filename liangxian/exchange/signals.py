"""Signals the data exchange sends for other areas to act on (the campaign's obligations connect here).

``identity_changes_reported`` is sent after the commit that puts in force a new version of a list that needs
the leader's signature and stamp (civil affairs, rural revitalisation, disabled federation: Art 10, 11, 14)
when that version differs from the one it replaces. Keyword arguments:

- ``submission``: the exchange.Submission now in force;
- ``changes``: a QuerySet of its exchange.VersionChange rows (kind added, removed or changed, with ``fields``).

Every such version is sent, campaign or not: the receiver (the campaign issue's obligations) decides whether a
concentrated collection period is running and creates the 7-working-day obligation of Art 10, 11 and 14
(``Dataset.deadline_rule["changes"]`` holds the rule as data). Receivers must not raise: the version is
already in force when they run.
"""

from __future__ import annotations

from django.dispatch import Signal

identity_changes_reported = Signal()

# Sent INSIDE the transaction that puts a list in force, with ``actor``, ``submission``, ``rows`` (the
# version's usable rows as a frame when the sender has them in memory, else None) and ``differing`` (the ID numbers
# of those rows that differ in any value from the version it replaces, ``submission.previous``'s; None when not
# known): the register
# (registry app) applies the list there, so a failure of the register rolls the whole version back.
# The exchange sits below the register and does not import it; the register connects in its AppConfig.
list_in_force = Signal()

# Sent INSIDE that same transaction just before a list's rows are loaded, when the list will be put in force in
# it, with ``dataset`` (exchange.Dataset), ``submission`` (the new version, saved) and ``rows`` (the rows in the
# file): a receiver may start reads of what
# the transaction reads later (batch.ahead.read_ahead), which run while the rows load. Nothing is written yet.
list_loading = Signal()
