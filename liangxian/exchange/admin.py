"""Admin pages of the exchange: the catalogue editable, submissions and their records read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from .models import Approval, Dataset, Submission, VersionChange


@admin.register(Dataset)
class DatasetAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "provider", "provider_kind", "needs_approval", "frequency", "active")
    list_filter = ("provider", "needs_approval", "active")
    search_fields = ("code", "name")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by the exchange's services: visible, never edited here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ("id", "dataset", "unit", "version", "status", "rows_total", "rows_rejected", "submitted_at")
    list_filter = ("status", "dataset", "method")
    raw_id_fields = ("previous",)


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ("submission", "stage", "order", "approved_by", "approved_at")


@admin.register(VersionChange)
class VersionChangeAdmin(ReadOnlyAdmin):
    list_display = ("submission", "kind", "name")
    list_filter = ("kind",)
