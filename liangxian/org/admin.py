"""The admin for setting up the organisation; the records with legal weight are read-only here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    ApiToken,
    CollectorAuthorisation,
    DataContact,
    SpecialistFiling,
    TownshipAppointment,
    Unit,
    User,
    VillageHandler,
)
from .services import user_groups_sync

if TYPE_CHECKING:
    UnitAdminBase = admin.ModelAdmin[Unit]
    UserAdminBase = DjangoUserAdmin[User]
    AnyModelAdmin = admin.ModelAdmin[Any]
else:  # generic only in the type stubs
    UnitAdminBase = SimpleHistoryAdmin
    UserAdminBase = DjangoUserAdmin
    AnyModelAdmin = admin.ModelAdmin


@admin.register(Unit)
class UnitAdmin(UnitAdminBase):
    list_display = ["code", "name", "kind", "department", "division", "parent", "active"]
    list_filter = ["kind", "department", "active"]
    search_fields = ["code", "name", "name_ug"]
    raw_id_fields = ["division", "parent"]


@admin.register(User)
class UserAdmin(UserAdminBase):
    list_display = ["username", "full_name", "unit", "role", "phone", "is_active", "is_staff"]
    list_filter = ["role", "unit__kind", "is_active", "is_staff", "is_superuser"]
    search_fields = ["username", "full_name", "phone", "unit__name", "unit__code"]
    raw_id_fields = ["unit"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,  # type: ignore[misc]
        (_("Unit and role"), {"fields": ("unit", "role", "full_name", "phone")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Unit and role"), {"fields": ("unit", "role", "full_name", "phone")}),
    )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The role decides the group: a group picked by hand would drift from the role.
        user_groups_sync(form.instance)


@admin.register(ApiToken)
class ApiTokenAdmin(AnyModelAdmin):
    list_display = ["name", "prefix", "unit", "user", "created_at", "last_used_at", "revoked_at"]
    search_fields = ["name", "prefix", "unit__name"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]


class ReadOnlyAdmin(AnyModelAdmin):
    """Show records that only a service may write, so that each change is audited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DataContact)
class DataContactAdmin(ReadOnlyAdmin):
    list_display = ["unit", "user", "since", "until", "designated_by"]
    list_filter = ["unit"]
    search_fields = ["unit__name", "user__username", "user__full_name"]


@admin.register(TownshipAppointment)
class TownshipAppointmentAdmin(ReadOnlyAdmin):
    list_display = ["township", "post", "user", "since", "until", "filing"]
    list_filter = ["post"]
    search_fields = ["township__name", "user__username", "user__full_name"]


@admin.register(SpecialistFiling)
class SpecialistFilingAdmin(ReadOnlyAdmin):
    list_display = ["township", "outgoing", "incoming", "filed_by", "filed_at", "used_at"]
    search_fields = ["township__name", "outgoing__full_name", "incoming__full_name"]


@admin.register(CollectorAuthorisation)
class CollectorAuthorisationAdmin(ReadOnlyAdmin):
    list_display = ["collector", "village", "valid_from", "valid_until", "granted_by", "withdrawn_at"]
    list_filter = ["valid_from"]
    search_fields = ["collector__username", "collector__full_name", "village__name", "village__code"]


@admin.register(VillageHandler)
class VillageHandlerAdmin(ReadOnlyAdmin):
    list_display = ["village", "name", "post", "phone", "order", "active"]
    list_filter = ["active"]
    search_fields = ["village__name", "village__code", "name", "phone"]
