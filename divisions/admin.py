from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from . import permissions
from .models import Division, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Division)
class DivisionAdmin(SimpleHistoryAdmin):
    list_display = ["slug", "name", "daily_spend_cap", "purchase_order_limit"]
    list_editable = ["daily_spend_cap", "purchase_order_limit"]
    search_fields = ["slug", "name", "mandate"]
    inlines = [MembershipInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The caps are the owner's call: a division's own director must not raise its spending limits.
        return permissions.is_owner(request.user)


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "division", "role", "created_at"]
    list_filter = ["division", "role"]
    list_select_related = ["user", "division"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]
