"""The brand's data in the console: readable by all staff, editable by superusers (and whoever is
granted Django's model permissions, e.g. an Owners group).

Customers' personal data (names, e-mail addresses, who bought what) is the exception: only those
`divisions.permissions.can_see_customer_pii` lets through see the customers' pages and the fields
that name a customer elsewhere (an order's customer and e-mail, a segment's members), in lists,
forms, search, autocomplete and history alike.

Fields that agents' action types govern (a campaign's budget and status, an e-mail's send state,
a purchase order's status) are read-only once the row exists: those changes go through a
proposal and its approval, never through a form.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from atlas_project.admin import CheapPaginator, ReadOnlyAdminMixin
from divisions.permissions import can_see_customer_pii

from . import models as bm
from .clock import brand_today


def _is_staff(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_staff


class BrandAdmin(admin.ModelAdmin):
    """All staff read the brand's data; changing it takes Django's model permissions (superusers).

    Django's permissions rather than divisions.permissions: brand sits at the bottom of the
    imports and knows nothing of divisions.
    """

    governed_fields: tuple[str, ...] = ()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_staff(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += [name for name in self.governed_fields if name not in fields]
        return fields


class BrandHistoryAdmin(BrandAdmin, SimpleHistoryAdmin):
    pass


def _lookup_field(lookup: str) -> str:
    """`"=email"` -> `"email"`, `"customer__email"` -> `"customer"`: the model field a lookup starts at."""
    return lookup.lstrip("^=@").split("__")[0]


class CustomerFieldsAdmin(admin.ModelAdmin):
    """Leaves `pii_fields` out of every view of someone who may not see customers' personal data.

    Out of the list, the form (read-only or not), the search, the filters and the autocomplete
    widgets: hiding a column while still letting its values be searched would tell them anyway.
    """

    pii_fields: tuple[str, ...] = ()

    def _hides_pii(self, request: HttpRequest) -> bool:
        return not can_see_customer_pii(request.user)

    def _without_pii(self, request: HttpRequest, names: Any) -> list[Any]:
        names = list(names or [])
        if not self._hides_pii(request):
            return names
        return [n for n in names if not (isinstance(n, str) and _lookup_field(n) in self.pii_fields)]

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        return self._without_pii(request, super().get_list_display(request))

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        return self._without_pii(request, super().get_list_filter(request))

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        return self._without_pii(request, super().get_search_fields(request))

    def get_autocomplete_fields(self, request: HttpRequest) -> list[str]:
        return self._without_pii(request, super().get_autocomplete_fields(request))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self._without_pii(request, super().get_readonly_fields(request, obj))

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> list[str]:
        exclude = list(super().get_exclude(request, obj) or [])
        if self._hides_pii(request):
            exclude += [name for name in self.pii_fields if name not in exclude]
        return exclude


class BigTableAdmin(BrandAdmin):
    """Tables that grow with the business: no full count, a cheap paginator."""

    show_full_result_count = False
    paginator = CheapPaginator
    list_per_page = 50


class BrandInline(admin.TabularInline):
    extra = 0
    show_change_link = True

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_staff(request)


# --- profile, targets, budgets ------------------------------------------------------------------


@admin.register(bm.BrandProfile)
class BrandProfileAdmin(BrandHistoryAdmin):
    list_display = ["name", "currency", "timezone", "morning_hour", "orchestrator_name"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        # One brand per deployment: the profile is created on first use (brand.selectors).
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(bm.ChannelBudget)
class ChannelBudgetAdmin(BrandHistoryAdmin):
    list_display = ["channel", "month", "amount"]
    list_filter = ["channel"]
    date_hierarchy = "month"


@admin.register(bm.SalesTarget)
class SalesTargetAdmin(BrandHistoryAdmin):
    list_display = ["month", "revenue"]
    date_hierarchy = "month"


# --- catalogue and suppliers ----------------------------------------------------------------------


class VariantInline(BrandInline):
    model = bm.Variant
    fields = ["sku", "title", "price", "compare_at_price", "cost", "stock", "supplier", "lead_time_days", "is_active"]
    autocomplete_fields = ["supplier"]


@admin.register(bm.Product)
class ProductAdmin(BrandHistoryAdmin):
    list_display = ["title", "handle", "vendor", "product_type", "variant_count"]
    list_filter = ["product_type", "vendor"]
    search_fields = ["title", "handle", "tags", "variants__sku"]
    readonly_fields = ["created_at"]
    inlines = [VariantInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[bm.Product]:
        return super().get_queryset(request).annotate(_variant_count=Count("variants"))

    @admin.display(description="variants", ordering="_variant_count")
    def variant_count(self, product: bm.Product) -> int:
        return product._variant_count  # type: ignore[attr-defined]


@admin.register(bm.Variant)
class VariantAdmin(BrandHistoryAdmin):
    list_display = ["sku", "product", "title", "price", "cost", "stock", "supplier", "is_active"]
    list_filter = ["is_active", "supplier", "product__product_type"]
    list_select_related = ["product", "supplier"]
    search_fields = ["sku", "title", "product__title", "product__handle"]
    autocomplete_fields = ["product", "supplier"]


@admin.register(bm.Supplier)
class SupplierAdmin(BrandHistoryAdmin):
    list_display = ["name", "email", "lead_time_days", "payment_terms_days", "minimum_order_value"]
    search_fields = ["name", "email"]


# --- customers and orders (big tables) ------------------------------------------------------------


@admin.register(bm.Customer)
class CustomerAdmin(BigTableAdmin):
    """A customer row is personal data throughout: the pages (list, change, history, delete, and the
    autocomplete other forms use) open only to those who may see it."""

    list_display = ["email", "first_name", "last_name", "accepts_marketing", "created_at"]
    list_filter = ["accepts_marketing"]
    search_fields = ["email", "first_name", "last_name"]
    date_hierarchy = "created_at"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) and can_see_customer_pii(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and can_see_customer_pii(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and can_see_customer_pii(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and can_see_customer_pii(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and can_see_customer_pii(request.user)


class OrderLineInline(BrandInline):
    model = bm.OrderLine
    fields = ["position", "variant", "name", "quantity", "price"]
    autocomplete_fields = ["variant"]
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[bm.OrderLine]:
        return super().get_queryset(request).select_related("variant__product")


@admin.register(bm.Order)
class OrderAdmin(CustomerFieldsAdmin, BigTableAdmin):
    pii_fields = ("customer", "email")
    list_display = [
        "name",
        "created_at",
        "customer",
        "financial_status",
        "total",
        "discount_code",
        "discount_amount",
        "refunded_amount",
    ]
    list_filter = ["financial_status", "currency"]
    list_select_related = ["customer"]
    search_fields = ["=name", "email", "discount_code"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["customer"]
    inlines = [OrderLineInline]


@admin.register(bm.OrderLine)
class OrderLineAdmin(BigTableAdmin):
    list_display = ["order", "position", "variant", "quantity", "price", "order_created_at"]
    list_select_related = ["order", "variant__product"]
    search_fields = ["=order__name", "variant__sku"]
    date_hierarchy = "order__created_at"
    autocomplete_fields = ["order", "variant"]

    @admin.display(description="ordered at", ordering="order__created_at")
    def order_created_at(self, line: bm.OrderLine) -> Any:
        return line.order.created_at


# --- ads ------------------------------------------------------------------------------------------


class AdMetricInline(BrandInline):
    """The latest two weeks of a campaign; the full series is under Ad metrics."""

    model = bm.AdMetric
    readonly_fields = ("date", "spend", "impressions", "clicks", "purchases", "revenue")
    fields = readonly_fields
    show_change_link = False
    can_delete = False
    days = 14

    def get_queryset(self, request: HttpRequest) -> QuerySet[bm.AdMetric]:
        since = brand_today() - dt.timedelta(days=self.days)
        return super().get_queryset(request).filter(date__gte=since).order_by("-date")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(bm.AdCampaign)
class AdCampaignAdmin(BrandHistoryAdmin):
    list_display = ["name", "channel", "status", "daily_budget", "created_at"]
    list_filter = ["channel", "status"]
    search_fields = ["name", "skus__sku"]
    autocomplete_fields = ["skus"]
    readonly_fields = ["created_at"]
    governed_fields = ("status", "daily_budget")
    inlines = [AdMetricInline]


@admin.register(bm.AdMetric)
class AdMetricAdmin(BigTableAdmin):
    list_display = ["campaign", "date", "spend", "impressions", "clicks", "purchases", "revenue"]
    list_filter = ["campaign__channel", "campaign"]
    list_select_related = ["campaign"]
    search_fields = ["campaign__name"]
    date_hierarchy = "date"
    autocomplete_fields = ["campaign"]


# --- discounts, segments, e-mail, calendar --------------------------------------------------------


@admin.register(bm.Discount)
class DiscountAdmin(BrandHistoryAdmin):
    list_display = ["code", "percent_off", "status", "starts_at", "ends_at"]
    list_filter = ["status"]
    search_fields = ["code"]
    autocomplete_fields = ["variants"]
    governed_fields = ("status",)


@admin.register(bm.Segment)
class SegmentAdmin(CustomerFieldsAdmin, BrandHistoryAdmin):
    pii_fields = ("customers",)
    list_display = ["key", "name", "built_at"]
    search_fields = ["key", "name", "description"]
    autocomplete_fields = ["customers"]
    readonly_fields = ["built_at"]


@admin.register(bm.EmailCampaign)
class EmailCampaignAdmin(BrandHistoryAdmin):
    list_display = ["name", "segment", "subject", "status", "scheduled_at", "sent_at", "recipients"]
    list_filter = ["status", "segment"]
    list_select_related = ["segment"]
    search_fields = ["name", "subject"]
    date_hierarchy = "scheduled_at"
    readonly_fields = ["sent_at", "recipients", "created_at"]
    governed_fields = ("status", "scheduled_at")


@admin.register(bm.CalendarItem)
class CalendarItemAdmin(BrandHistoryAdmin):
    list_display = ["title", "kind", "starts_at", "ends_at", "segment", "variant"]
    list_filter = ["kind"]
    list_select_related = ["segment", "variant__product"]
    search_fields = ["title", "notes"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["segment", "variant", "email_campaign"]
    governed_fields = ("starts_at", "ends_at")


# --- purchasing -----------------------------------------------------------------------------------


class PurchaseOrderLineInline(BrandInline):
    model = bm.PurchaseOrderLine
    fields = ["variant", "quantity", "unit_cost"]
    autocomplete_fields = ["variant"]
    show_change_link = False


@admin.register(bm.PurchaseOrder)
class PurchaseOrderAdmin(BrandHistoryAdmin):
    list_display = ["number", "supplier", "status", "created_at", "confirmed_at", "expected_at"]
    list_filter = ["status", "supplier"]
    list_select_related = ["supplier"]
    search_fields = ["number", "supplier__name", "lines__variant__sku"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "confirmed_at"]
    governed_fields = ("status", "expected_at")
    inlines = [PurchaseOrderLineInline]


@admin.register(bm.PurchaseOrderLine)
class PurchaseOrderLineAdmin(BrandHistoryAdmin):
    list_display = ["purchase_order", "variant", "quantity", "unit_cost"]
    list_select_related = ["purchase_order__supplier", "variant__product"]
    search_fields = ["purchase_order__number", "variant__sku"]
    autocomplete_fields = ["purchase_order", "variant"]


# --- agents' documents ----------------------------------------------------------------------------


@admin.register(bm.Document)
class DocumentAdmin(BrandHistoryAdmin):
    list_display = ["title", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["title", "body"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at"]


# --- the action ledger (append-only) ----------------------------------------------------------------


@admin.register(bm.AppliedAction)
class AppliedActionAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    """The idempotency ledger of applied actions: an audit table, read-only for everyone."""

    list_display = ["key", "action_type", "created_at", "webhook_delivered_at"]
    list_filter = ["action_type"]
    search_fields = ["=key", "action_type"]
    date_hierarchy = "created_at"
