"""The one shared memory: what every agent and person knows, with who said it and on what grounds."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from atlas_project.audit import audited_history


class Kind(models.TextChoices):
    OBSERVATION = "observation", "Observation"
    INSIGHT = "insight", "Insight"
    DECISION = "decision", "Decision"
    OUTCOME = "outcome", "Outcome"
    PREFERENCE = "preference", "Preference"
    METRIC = "metric", "Metric"


class MemoryEntry(models.Model):
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    key = models.CharField(
        max_length=200,
        null=True,
        blank=True,
        db_index=True,
        help_text="entity:attribute, e.g. sku:HP-104:days_of_cover. Keyed facts have one current entry.",
    )
    subject = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    division = models.ForeignKey(
        "divisions.Division", on_delete=models.PROTECT, null=True, blank=True, related_name="memories"
    )
    author_run = models.ForeignKey(
        "agents.AgentRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="memories_written"
    )
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="memories_written"
    )
    author_label = models.CharField(max_length=120, help_text="Who wrote it, in words (agent key or username).")
    confidence = models.FloatField(default=1.0)
    evidence = models.JSONField(
        default=list,
        blank=True,
        help_text='Links to what it rests on: [{"model": "brand.variant", "pk": 3}, {"memory": 12}, ...]',
    )
    valid_from = models.DateTimeField(db_index=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    is_current = models.BooleanField(default=True, help_text="False once a newer entry for the key supersedes it.")
    supersedes = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="superseded_by"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    history = audited_history()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "memory entries"
        constraints = [
            # Exactly one current entry per key, enforced by the database so that two writers
            # racing on one key cannot both leave a current entry.
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(is_current=True) & Q(key__isnull=False),
                name="memory_one_current_per_key",
            ),
            models.CheckConstraint(condition=Q(confidence__gte=0) & Q(confidence__lte=1), name="memory_confidence_0_1"),
        ]
        indexes = [models.Index(fields=["division", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.key or self.subject or self.kind}: {self.text[:60]}"

    @property
    def has_value(self) -> bool:
        """Whether the entry states a value in its data (a number, a list...), not only words."""
        return isinstance(self.data, dict) and "value" in self.data

    @property
    def value(self) -> Any:
        """What the entry says: `data["value"]` when it states one, otherwise its text (the contract).

        The one reading of an entry's value: a reader that wanted only numbers checks `has_value`
        rather than reaching into `data` with its own default."""
        return self.data["value"] if self.has_value else self.text


class Conflict(models.Model):
    """Two authors disagreeing on one key inside its validity window: recorded, never overwritten."""

    key = models.CharField(max_length=200, db_index=True)
    earlier = models.ForeignKey(MemoryEntry, on_delete=models.CASCADE, related_name="conflicts_as_earlier")
    later = models.ForeignKey(MemoryEntry, on_delete=models.CASCADE, related_name="conflicts_as_later")
    is_open = models.BooleanField(default=True, db_index=True)
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = audited_history()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Conflict on {self.key} ({'open' if self.is_open else 'resolved'})"
