from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Division, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Division)
class DivisionAdmin(SimpleHistoryAdmin):
    list_display = ["slug", "name", "daily_spend_cap"]
    search_fields = ["slug", "name", "mandate"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "division", "role", "created_at"]
    list_filter = ["division", "role"]
    list_select_related = ["user", "division"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]
