"""Shopify's orders export: one row per line item, order fields only on the first row of an order.

Customers are upserted on the e-mail (their first order's date is when they became customers),
orders on the name ("#1001"), lines on (order, position in the order).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Max

from ..models import ZERO, Customer, Order, OrderLine, Variant
from .common import (
    BaseImporter,
    Column,
    Row,
    assign_changes,
    max_length,
    parse_bool,
    parse_datetime,
    parse_decimal,
    parse_int,
    parse_text,
)

ORDER_FIELDS = [
    "customer_id",
    "email",
    "financial_status",
    "currency",
    "created_at",
    "paid_at",
    "subtotal",
    "total",
    "discount_code",
    "discount_amount",
    "refunded_amount",
]
LINE_FIELDS = ["variant_id", "name", "quantity", "price"]


@dataclass
class CustomerSeen:
    """What one chunk says about one customer: their earliest order and the latest order's details."""

    first_order_at: dt.datetime
    latest_order_at: dt.datetime
    first_name: str
    last_name: str
    accepts_marketing: bool | None


class ShopifyOrdersImporter(BaseImporter):
    kind = "shopify-orders"
    columns = (
        Column("name", "Name", required=True),
        Column("email", "Email"),
        Column("financial_status", "Financial Status"),
        Column("paid_at", "Paid at"),
        Column("created_at", "Created at", required=True),
        Column("currency", "Currency"),
        Column("subtotal", "Subtotal"),
        Column("total", "Total"),
        Column("discount_code", "Discount Code"),
        Column("discount_amount", "Discount Amount"),
        Column("refunded_amount", "Refunded Amount"),
        Column("billing_name", "Billing Name"),
        Column("accepts_marketing", "Accepts Marketing"),
        Column("quantity", "Lineitem quantity", required=True),
        Column("line_name", "Lineitem name"),
        Column("price", "Lineitem price", required=True),
        Column("sku", "Lineitem sku", required=True),
    )

    def __init__(self, *, tz: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tz = tz
        self.currency = currency
        # Customers recur across the whole file; they are counted once each, by id: those above
        # the highest id before the import were created by it.
        self.customer_pk_before = Customer.objects.aggregate(top=Max("pk"))["top"] or 0
        self.customers_touched: set[int] = set()
        self.customers_changed: set[int] = set()
        # An order's rows stand next to each other in a Shopify export. The order being read and
        # the last line of every order already read, across chunks: a name that comes back after
        # another order would silently replace the lines read before it.
        self.current_order = ""
        self._last_line = 0
        self.last_line_of: dict[str, int] = {}

    def group_key(self, row: Row) -> str:
        return row.raw("name").strip()

    # --- parsing ---

    def _order_values(self, row: Row) -> dict[str, Any]:
        email = (row.parse("email", parse_text, max_length=max_length(Order, "email")) or "").lower()
        if email and ("@" not in email or " " in email):
            row.error("email", "is not an e-mail address")
        currency = (row.parse("currency", parse_text, max_length=3) or "").upper() or self.currency
        if len(currency) != 3 or not currency.isalpha():
            row.error("currency", "is not a currency code (e.g. USD)")
        money = {key: row.parse(key, parse_decimal) for key in ("discount_amount", "refunded_amount")}
        totals = {key: row.parse(key, parse_decimal, negative=True) for key in ("subtotal", "total")}
        return {
            "email": email,
            "financial_status": (
                row.parse("financial_status", parse_text, max_length=max_length(Order, "financial_status")) or ""
            ).lower(),
            "currency": currency,
            "created_at": row.parse("created_at", parse_datetime, self.tz, required=True),
            "paid_at": row.parse("paid_at", parse_datetime, self.tz),
            "discount_code": row.parse("discount_code", parse_text, max_length=max_length(Order, "discount_code")),
            **{key: value if value is not None else ZERO for key, value in {**money, **totals}.items()},
        }

    def _customer_details(self, row: Row) -> tuple[str, str, bool | None]:
        full_name = row.raw("billing_name").strip()
        first, _, last = full_name.partition(" ")
        limit_first, limit_last = max_length(Customer, "first_name"), max_length(Customer, "last_name")
        if len(first) > limit_first or len(last.strip()) > limit_last:
            row.error("billing_name", f"is too long (at most {limit_first} + {limit_last} characters)")
        return first, last.strip(), row.parse("accepts_marketing", parse_bool)

    def _line_values(self, row: Row) -> dict[str, Any]:
        return {
            "sku": row.parse("sku", parse_text, required=True, max_length=max_length(Variant, "sku")),
            "name": row.parse("line_name", parse_text, max_length=max_length(OrderLine, "name")),
            "quantity": row.parse("quantity", parse_int, required=True),
            "price": row.parse("price", parse_decimal, required=True),
        }

    # --- the chunk ---

    def process_chunk(self, rows: list[Row]) -> None:
        # Orders in file order; each with its first row, order values, customer details and lines.
        orders: dict[str, dict[str, Any]] = {}
        for row in rows:
            name = row.parse("name", parse_text, required=True, max_length=max_length(Order, "name"))
            if not name:
                continue
            if name != self.current_order:
                if name in self.last_line_of:
                    row.error(
                        "name",
                        f"comes back after other orders (its rows ended on line {self.last_line_of[name]}); "
                        "an order's rows must be next to each other",
                    )
                    continue
                if self.current_order:
                    self.last_line_of[self.current_order] = self._last_line
                self.current_order = name
            self._last_line = row.line
            order = orders.get(name)
            if order is None:
                order = orders[name] = {
                    "row": row,
                    "values": self._order_values(row),
                    "customer": self._customer_details(row),
                    "lines": [],
                }
            order["lines"].append((row, self._line_values(row)))

        variant_ids = dict(
            Variant.objects.filter(
                sku__in={values["sku"] for order in orders.values() for _, values in order["lines"] if values["sku"]}
            ).values_list("sku", "pk")
        )
        for order in orders.values():
            for row, values in order["lines"]:
                if values["sku"] and values["sku"] not in variant_ids:
                    row.error("sku", "is not a known SKU (import the products first)")

        customer_ids = self._upsert_customers(orders)
        order_ids, stored_before = self._upsert_orders(orders, customer_ids)
        self._upsert_lines(orders, order_ids, variant_ids, stored_before)

    def _upsert_customers(self, orders: dict[str, dict[str, Any]]) -> dict[str, int]:
        seen: dict[str, CustomerSeen] = {}
        for order in orders.values():
            values, row = order["values"], order["row"]
            if row.bad or not values["email"]:
                continue
            created_at, (first, last, accepts) = values["created_at"], order["customer"]
            known = seen.get(values["email"])
            if known is None:
                seen[values["email"]] = CustomerSeen(created_at, created_at, first, last, accepts)
                continue
            known.first_order_at = min(known.first_order_at, created_at)
            if created_at >= known.latest_order_at:
                known.latest_order_at = created_at
                known.first_name, known.last_name = (first, last) if first else (known.first_name, known.last_name)
                known.accepts_marketing = accepts if accepts is not None else known.accepts_marketing

        existing = Customer.objects.in_bulk(list(seen), field_name="email")
        # The latest order already stored per customer: only a newer order may change their name or
        # consent, so re-importing an old file never rolls a customer back.
        latest_stored = dict(
            Order.objects.filter(customer__in=[customer.pk for customer in existing.values()])
            .values("customer_id")
            .annotate(latest=Max("created_at"))
            .values_list("customer_id", "latest")
        )
        to_create: list[Customer] = []
        to_update: list[Customer] = []
        for email, info in seen.items():
            customer = existing.get(email)
            if customer is None:
                to_create.append(
                    Customer(
                        email=email,
                        first_name=info.first_name,
                        last_name=info.last_name,
                        accepts_marketing=bool(info.accepts_marketing),
                        created_at=info.first_order_at,
                    )
                )
                continue
            changes: dict[str, Any] = {"created_at": min(customer.created_at, info.first_order_at)}
            stored = latest_stored.get(customer.pk)
            if stored is None or info.latest_order_at >= stored:
                if info.first_name:
                    changes.update(first_name=info.first_name, last_name=info.last_name)
                if info.accepts_marketing is not None:
                    changes["accepts_marketing"] = info.accepts_marketing
            self.customers_touched.add(customer.pk)
            if assign_changes(customer, changes):
                to_update.append(customer)
                self.customers_changed.add(customer.pk)
        created = self.bulk_create(Customer, to_create)
        self.customers_touched.update(customer.pk for customer in created)
        self.bulk_update(Customer, to_update, ["created_at", "first_name", "last_name", "accepts_marketing"])
        return {email: customer.pk for email, customer in existing.items()} | {c.email: c.pk for c in created}

    def _upsert_orders(
        self, orders: dict[str, dict[str, Any]], customer_ids: dict[str, int]
    ) -> tuple[dict[str, int], set[int]]:
        """The orders' ids by name, and the ids of those stored before (only they can have lines)."""
        existing = Order.objects.in_bulk(list(orders), field_name="name")
        stored_before = {order.pk for order in existing.values()}
        to_create: list[Order] = []
        to_update: list[Order] = []
        for name, order in orders.items():
            if order["row"].bad:
                continue
            values = {**order["values"], "customer_id": customer_ids.get(order["values"]["email"])}
            stored = existing.get(name)
            if stored is None:
                stored = existing[name] = Order(name=name, **values)
                to_create.append(stored)
                self.result.created["order"] += 1
            elif assign_changes(stored, values):
                to_update.append(stored)
                self.result.updated["order"] += 1
            else:
                self.result.unchanged["order"] += 1
        self.bulk_create(Order, to_create)
        self.bulk_update(Order, to_update, ORDER_FIELDS)
        return {name: order.pk for name, order in existing.items() if order.pk is not None}, stored_before

    def _upsert_lines(
        self,
        orders: dict[str, dict[str, Any]],
        order_ids: dict[str, int],
        variant_ids: dict[str, int],
        stored_before: set[int],
    ) -> None:
        # Only orders stored before this chunk can have lines: a first import asks nothing (on
        # PostgreSQL, a lookup into a table filled in this very transaction, whose statistics still
        # say it is empty, is planned as a scan per order and took seconds a chunk).
        stored_lines: dict[tuple[int, int], OrderLine] = (
            {
                (line.order_id, line.position): line
                for line in OrderLine.objects.filter(order_id__in=sorted(stored_before)).order_by()
            }
            if stored_before
            else {}
        )
        to_create: list[OrderLine] = []
        to_update: list[OrderLine] = []
        for name, order in orders.items():
            order_id = order_ids.get(name)
            if order_id is None or order["row"].bad:
                continue
            for position, (row, values) in enumerate(order["lines"], start=1):
                if row.bad:
                    continue
                line_values = {
                    "variant_id": variant_ids[values["sku"]],
                    "name": values["name"],
                    "quantity": values["quantity"],
                    "price": values["price"],
                }
                line = stored_lines.pop((order_id, position), None)
                if line is None:
                    to_create.append(OrderLine(order_id=order_id, position=position, **line_values))
                    self.result.created["orderline"] += 1
                elif assign_changes(line, line_values):
                    to_update.append(line)
                    self.result.updated["orderline"] += 1
                else:
                    self.result.unchanged["orderline"] += 1
        # Lines left over belong to orders of this chunk that now have fewer lines: the export is
        # the truth for the orders it contains.
        if stored_lines:
            OrderLine.objects.filter(pk__in=[line.pk for line in stored_lines.values()]).delete()
            self.result.deleted["orderline"] += len(stored_lines)
        self.bulk_create(OrderLine, to_create)
        self.bulk_update(OrderLine, to_update, LINE_FIELDS)

    def finish(self) -> None:
        created = {pk for pk in self.customers_touched if pk > self.customer_pk_before}
        counts = (
            (self.result.created, len(created)),
            (self.result.updated, len(self.customers_changed - created)),
            (self.result.unchanged, len(self.customers_touched - created - self.customers_changed)),
        )
        for counter, count in counts:
            if count:
                counter["customer"] += count
