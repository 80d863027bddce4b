"""The brand's own data: catalogue, customers, orders, ads, e-mail, calendar, suppliers, POs.

Importers upsert these on natural keys (SKU, handle, order name, customer e-mail, campaign
name + day). Action types in `brand.actions` are the only way agents change them, and every
model an action can change keeps its history.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

from django.db import models

from atlas_project.audit import audited_history


class _MoneyDigits(TypedDict):
    max_digits: int
    decimal_places: int


# A TypedDict, not a plain dict, so the type checker can match `**MONEY` to DecimalField's keywords.
MONEY: _MoneyDigits = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")


class BrandProfile(models.Model):
    """The one brand this Atlas runs (a deployment serves one brand)."""

    name = models.CharField(max_length=120, default="My Brand")
    currency = models.CharField(max_length=3, default="USD")
    timezone = models.CharField(max_length=64, default="UTC")
    morning_hour = models.PositiveSmallIntegerField(default=7, help_text="Hour of the morning cycle, brand time.")
    orchestrator_name = models.CharField(max_length=40, default="Alexia")
    history = audited_history()

    def __str__(self) -> str:
        return self.name


class Supplier(models.Model):
    name = models.CharField(max_length=120, unique=True)
    email = models.EmailField(blank=True)
    lead_time_days = models.PositiveIntegerField(default=14)
    payment_terms_days = models.PositiveIntegerField(default=30, help_text="Net days to pay an invoice.")
    minimum_order_value = models.DecimalField(**MONEY, default=ZERO)
    history = audited_history()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    handle = models.SlugField(max_length=200, unique=True)
    title = models.CharField(max_length=255)
    vendor = models.CharField(max_length=120, blank=True)
    product_type = models.CharField(max_length=120, blank=True, db_index=True)
    tags = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = audited_history()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Variant(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=255, blank=True)
    price = models.DecimalField(**MONEY)
    compare_at_price = models.DecimalField(**MONEY, null=True, blank=True)
    cost = models.DecimalField(**MONEY, null=True, blank=True)
    stock = models.IntegerField(default=0)
    supplier = models.ForeignKey(Supplier, on_delete=models.SET_NULL, null=True, blank=True, related_name="variants")
    lead_time_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overrides the supplier's lead time for this SKU."
    )
    is_active = models.BooleanField(default=True)
    history = audited_history()

    class Meta:
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.sku} {self.product.title}{' - ' + self.title if self.title else ''}"

    @property
    def effective_lead_time_days(self) -> int | None:
        if self.lead_time_days is not None:
            return self.lead_time_days
        return self.supplier.lead_time_days if self.supplier is not None else None


class Customer(models.Model):
    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80, blank=True)
    accepts_marketing = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["email"]
        # Customers' personal data (names, addresses, their orders' e-mails): see divisions.permissions.
        permissions = [("view_customer_pii", "Can see customers' personal data")]

    def __str__(self) -> str:
        return self.email


class Order(models.Model):
    name = models.CharField(max_length=32, unique=True, help_text="Shopify order name, e.g. #1001.")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="orders")
    email = models.EmailField(blank=True)
    financial_status = models.CharField(max_length=32, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    created_at = models.DateTimeField(db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    subtotal = models.DecimalField(**MONEY, default=ZERO)
    total = models.DecimalField(**MONEY, default=ZERO)
    discount_code = models.CharField(max_length=64, blank=True, db_index=True)
    discount_amount = models.DecimalField(**MONEY, default=ZERO)
    refunded_amount = models.DecimalField(**MONEY, default=ZERO)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["customer", "created_at"])]

    def __str__(self) -> str:
        return self.name


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(help_text="1-based position of the line within its order.")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="order_lines")
    name = models.CharField(max_length=255, blank=True)
    quantity = models.PositiveIntegerField()
    price = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["order", "position"]
        constraints = [models.UniqueConstraint(fields=["order", "position"], name="orderline_unique_position")]

    def __str__(self) -> str:
        return f"{self.order.name} #{self.position} {self.quantity} x {self.variant.sku}"


class Channel(models.TextChoices):
    META = "meta", "Meta"
    GOOGLE = "google", "Google"
    TIKTOK = "tiktok", "TikTok"
    PINTEREST = "pinterest", "Pinterest"


class CampaignStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ARCHIVED = "archived", "Archived"


class AdCampaign(models.Model):
    name = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.META, db_index=True)
    status = models.CharField(max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.ACTIVE)
    daily_budget = models.DecimalField(**MONEY, default=ZERO)
    skus = models.ManyToManyField(Variant, blank=True, related_name="campaigns", help_text="SKUs it promotes.")
    ad_copy = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = audited_history(m2m_fields=[skus])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_channel_display()})"


class AdMetric(models.Model):
    campaign = models.ForeignKey(AdCampaign, on_delete=models.CASCADE, related_name="metrics")
    date = models.DateField()
    spend = models.DecimalField(**MONEY, default=ZERO)
    impressions = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    purchases = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(**MONEY, default=ZERO)

    class Meta:
        ordering = ["campaign", "date"]
        constraints = [models.UniqueConstraint(fields=["campaign", "date"], name="admetric_one_per_day")]
        indexes = [models.Index(fields=["date"])]

    def __str__(self) -> str:
        return f"{self.campaign.name} {self.date}"


class ChannelBudget(models.Model):
    """Finance's monthly budget for one ad channel."""

    channel = models.CharField(max_length=20, choices=Channel.choices)
    month = models.DateField(help_text="First day of the month.")
    amount = models.DecimalField(**MONEY)
    history = audited_history()

    class Meta:
        ordering = ["-month", "channel"]
        constraints = [models.UniqueConstraint(fields=["channel", "month"], name="channelbudget_one_per_month")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.month:%Y-%m}: {self.amount}"


class SalesTarget(models.Model):
    month = models.DateField(unique=True, help_text="First day of the month.")
    revenue = models.DecimalField(**MONEY)
    history = audited_history()

    class Meta:
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.revenue}"


class DiscountStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SCHEDULED = "scheduled", "Scheduled"
    RETIRED = "retired", "Retired"


class Discount(models.Model):
    code = models.CharField(max_length=64, unique=True)
    percent_off = models.DecimalField(max_digits=5, decimal_places=2)
    status = models.CharField(max_length=20, choices=DiscountStatus.choices, default=DiscountStatus.ACTIVE)
    variants = models.ManyToManyField(Variant, blank=True, related_name="discounts", help_text="Empty: storewide.")
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = audited_history(m2m_fields=[variants])

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.percent_off}% off)"


class Segment(models.Model):
    """A named group of customers that e-mails and calendar items target."""

    key = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    definition = models.JSONField(default=dict, blank=True, help_text="The rule that built it.")
    customers = models.ManyToManyField(Customer, blank=True, related_name="segments")
    built_at = models.DateTimeField(null=True, blank=True)
    history = audited_history()

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name

    def audience(self) -> models.QuerySet[Customer]:
        """The members an e-mail to this segment reaches: those who accept marketing."""
        return self.customers.filter(accepts_marketing=True)


class EmailStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    CANCELLED = "cancelled", "Cancelled"


class EmailCampaign(models.Model):
    name = models.CharField(max_length=200)
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="email_campaigns")
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=EmailStatus.choices, default=EmailStatus.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    history = audited_history()

    class Meta:
        ordering = ["-scheduled_at", "name"]

    def __str__(self) -> str:
        return self.name


class CalendarKind(models.TextChoices):
    EMAIL = "email", "E-mail send"
    LAUNCH = "launch", "Product launch"
    PROMO = "promo", "Promotion"
    SOCIAL = "social", "Social post"
    AD = "ad", "Ad flight"


class CalendarItem(models.Model):
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=CalendarKind.choices)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    segment = models.ForeignKey(Segment, on_delete=models.SET_NULL, null=True, blank=True, related_name="calendar")
    variant = models.ForeignKey(Variant, on_delete=models.SET_NULL, null=True, blank=True, related_name="calendar")
    email_campaign = models.ForeignKey(
        EmailCampaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="calendar_items"
    )
    notes = models.TextField(blank=True)
    history = audited_history()

    class Meta:
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} {self.title}"


class POStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    CONFIRMED = "confirmed", "Confirmed"
    RECEIVED = "received", "Received"
    CANCELLED = "cancelled", "Cancelled"


class PurchaseOrder(models.Model):
    number = models.CharField(max_length=32, unique=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchase_orders")
    status = models.CharField(max_length=20, choices=POStatus.choices, default=POStatus.DRAFT, db_index=True)
    currency = models.CharField(max_length=3, default="USD")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    expected_at = models.DateField(null=True, blank=True, help_text="When the goods are due to arrive.")
    notes = models.TextField(blank=True)
    history = audited_history()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.number} ({self.supplier.name}, {self.status})"


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="po_lines")
    quantity = models.PositiveIntegerField()
    unit_cost = models.DecimalField(**MONEY)
    history = audited_history()

    class Meta:
        ordering = ["purchase_order", "variant__sku"]

    def __str__(self) -> str:
        return f"{self.purchase_order.number}: {self.quantity} x {self.variant.sku}"


class DocumentKind(models.TextChoices):
    BRIEF = "brief", "Creative brief"
    REPORT = "report", "Report"


class Document(models.Model):
    """Internal work products of the agents: creative briefs and published reports."""

    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = audited_history()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class AppliedAction(models.Model):
    """The idempotency ledger of the sandbox effects: one row per applied action (or per e-mail sent).

    An action type applies its effect and writes this row in one transaction; called again with the
    same key it returns the stored result instead of applying the effect twice.
    """

    key = models.CharField(max_length=200, unique=True)
    action_type = models.CharField(max_length=80)
    result = models.JSONField(default=dict, blank=True)
    webhook_delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.key
