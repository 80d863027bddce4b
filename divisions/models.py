"""Divisions of the marketing team and who belongs to them in which role."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from atlas_project.audit import audited_history


class Division(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    mandate = models.TextField(help_text="What this division is for, in plain words; used to route requests.")
    daily_spend_cap = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("5000.00"),
        help_text="The most that executed spend actions of this division may commit in one brand day.",
    )
    purchase_order_limit = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("50000.00"),
        help_text="The most one purchase order of this division may commit. Purchase orders are judged "
        "against this limit alone, not against the daily spend cap (stock is bought in lumps, not by the day).",
    )
    history = audited_history()

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    APPROVER = "approver", "Approver"
    DIRECTOR = "director", "Director"


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    division = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)
    history = audited_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "division"], name="membership_one_per_division")]
        ordering = ["division__slug", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} - {self.division.slug} ({self.role})"
