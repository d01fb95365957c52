"""Admin pages of the obligations: the rules editable by the county, the obligations read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from .models import Obligation, ObligationRule


@admin.register(ObligationRule)
class ObligationRuleAdmin(SimpleHistoryAdmin):
    list_display = (
        "code",
        "title",
        "article",
        "owner_kind",
        "anchor",
        "offset",
        "offset_unit",
        "fulfilled_by",
        "active",
    )
    list_filter = ("owner_kind", "anchor", "active")
    search_fields = ("code", "title", "article")


@admin.register(Obligation)
class ObligationAdmin(admin.ModelAdmin):
    """Obligations are written by the engine only (raised, fulfilled, re-dated, each audited)."""

    list_display = ("rule", "unit", "period", "due_date", "fulfilled_at", "late", "cancelled")
    list_filter = ("rule", "late", "cancelled")
    search_fields = ("unit__code", "unit__name", "subject", "period")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
