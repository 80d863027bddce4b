"""factory_boy factories for the core records, shared by every test module.

Apps add their own factories in tests/<app>/factories.py; the ones every app needs live here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from brand import models as bm
from divisions.models import Division, Membership, Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    is_staff = True
    password = factory.django.Password("pw-atlas-test")


def division(slug: str) -> Division:
    """The eight divisions come from a migration; tests look them up rather than create them."""
    return Division.objects.get(slug=slug)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    division = factory.LazyFunction(lambda: division("growth"))
    role = Role.APPROVER


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bm.Supplier
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Supplier {n}")
    email = factory.LazyAttribute(lambda o: f"orders@{o.name.lower().replace(' ', '')}.example.com")
    lead_time_days = 14
    payment_terms_days = 30


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bm.Product
        django_get_or_create = ("handle",)

    handle = factory.Sequence(lambda n: f"product-{n}")
    title = factory.Sequence(lambda n: f"Product {n}")
    vendor = "Atlas Goods"
    product_type = "Kitchen"


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bm.Variant
        django_get_or_create = ("sku",)

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    price = Decimal("40.00")
    cost = Decimal("16.00")
    stock = 200
    supplier = factory.SubFactory(SupplierFactory)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bm.Customer
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    created_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=365))


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bm.Order
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"#{1000 + n}")
    customer = factory.SubFactory(CustomerFactory)
    email = factory.LazyAttribute(lambda o: o.customer.email if o.customer else "")
    financial_status = "paid"
    created_at = factory.LazyFunction(timezone.now)
    paid_at = factory.LazyAttribute(lambda o: o.created_at)
    subtotal = Decimal("40.00")
    total = Decimal("40.00")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bm.OrderLine

    order = factory.SubFactory(OrderFactory)
    position = factory.Sequence(lambda n: n + 1)
    variant = factory.SubFactory(VariantFactory)
    name = factory.LazyAttribute(lambda o: o.variant.product.title)
    quantity = 1
    price = factory.LazyAttribute(lambda o: o.variant.price)


class AdCampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bm.AdCampaign
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Campaign {n}")
    channel = bm.Channel.META
    status = bm.CampaignStatus.ACTIVE
    daily_budget = Decimal("100.00")


class AdMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bm.AdMetric

    campaign = factory.SubFactory(AdCampaignFactory)
    date = factory.LazyFunction(lambda: timezone.localdate())
    spend = Decimal("100.00")
    impressions = 10000
    clicks = 150
    purchases = 5
    revenue = Decimal("250.00")


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bm.Segment
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"segment-{n}")
    name = factory.Sequence(lambda n: f"Segment {n}")

    @factory.post_generation
    def audience(self, create: bool, extracted: int | None, **kwargs: object) -> None:
        """`SegmentFactory(audience=3)`: three new members who accept marketing (a send needs one)."""
        if create and extracted:
            self.customers.add(*CustomerFactory.create_batch(extracted, accepts_marketing=True))


class EmailCampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bm.EmailCampaign

    name = factory.Sequence(lambda n: f"E-mail {n}")
    segment = factory.SubFactory(SegmentFactory)
    subject = "News from the brand"
    body_text = "Hello"


class PurchaseOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bm.PurchaseOrder
        django_get_or_create = ("number",)

    number = factory.Sequence(lambda n: f"PO-{n:05d}")
    supplier = factory.SubFactory(SupplierFactory)
