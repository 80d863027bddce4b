"""The admin pieces every app shares: the read-only mixin for audit tables and the cheap paginator.

It sits at the bottom layer so that brand, memory, approvals and agents use the same ones; Django's
admin autodiscovery imports this module too, and it registers nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import Max, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property


class ReadOnlyAdminMixin:
    """What happened is not edited: no add, change or delete through the console, only the view.

    Mix it in before `admin.ModelAdmin` or an inline (`class RunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin)`);
    the signatures accept both (an inline's `has_add_permission` takes the parent object).
    """

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CheapPaginator(Paginator):
    """Pages a big table without COUNT(*) over all of it.

    Unfiltered, the highest id stands in for the count (exact until rows are deleted, never a
    scan); filtered, the count stops at `cap` rows, so a broad search stays cheap too. Past the cap
    the admin offers pages up to the cap and the filters do the narrowing.
    """

    cap = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        if not queryset.query.where:
            return queryset.order_by().aggregate(top=Max("pk"))["top"] or 0
        return queryset.order_by().values("pk")[: self.cap].count()
