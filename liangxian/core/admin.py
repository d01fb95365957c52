"""The admin for the shared records: divisions are edited here; the calendar and the logs are read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest

from .divisions import division_save
from .models import AccessLog, AuditEvent, CalendarDay, CalendarYear, Division

if TYPE_CHECKING:
    DivisionModelAdmin = admin.ModelAdmin[Division]
    AnyModelAdmin = admin.ModelAdmin[Any]
else:  # ModelAdmin is generic only in the type stubs
    DivisionModelAdmin = AnyModelAdmin = admin.ModelAdmin


@admin.register(Division)
class DivisionAdmin(DivisionModelAdmin):
    list_display = ("code", "name", "level", "parent", "active", "source")
    list_filter = ("level", "active")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
    readonly_fields = ("source",)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        # The code is the key residents and units hang on: it is set once, when the division is added.
        return ("code", "source") if obj is not None else ("source",)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Residents and units point at divisions: retire one by clearing "active" instead.
        return False

    def save_model(self, request: HttpRequest, obj: Division, form: ModelForm[Division], change: bool) -> None:
        division_save(actor=request.user, division=obj, changed_fields=list(form.changed_data))  # type: ignore[arg-type]


class ReadOnlyAdmin(AnyModelAdmin):
    """Show records that change only through their audited services."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(ReadOnlyAdmin):
    # Confirmation is audited: it is done on the 工作日历 page (/calendar/) or with `liangxian calendar confirm`.
    list_display = ("year", "confirmed", "confirmed_by", "confirmed_at", "source")
    list_filter = ("confirmed",)


@admin.register(CalendarDay)
class CalendarDayAdmin(ReadOnlyAdmin):
    list_display = ("date", "kind", "is_workday", "name", "source")
    list_filter = ("kind", "is_workday", "year")
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("action", "object_type", "object_id", "actor_label")


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "unit_code", "duty", "action", "object_type", "count", "channel")
    list_filter = ("action", "object_type", "channel")
    search_fields = ("unit_code", "object_type", "query")
    date_hierarchy = "at"
