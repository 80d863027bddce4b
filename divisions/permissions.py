"""The permission rules, in one place: who sees and who decides, per division.

Owners (superusers, or members of the "Owners" group) see and decide everything. Staff see the
divisions they are members of; approvers and directors decide there; viewers only look.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from .models import Division, Membership, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    # Whoever asks: a signed-in user, the anonymous user of a request, or nobody (a task).
    Someone = User | AnonymousUser | None

OWNERS_GROUP = "Owners"
DECIDING_ROLES = (Role.APPROVER, Role.DIRECTOR)


def is_owner(user: Someone) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=OWNERS_GROUP).exists()


def role_in(user: Someone, division: Division | int) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    division_id = division.pk if isinstance(division, Division) else division
    return Membership.objects.filter(user=user, division_id=division_id).values_list("role", flat=True).first()


def can_view(user: Someone, division: Division | int) -> bool:
    return is_owner(user) or role_in(user, division) is not None


def can_decide(user: Someone, division: Division | int) -> bool:
    return is_owner(user) or role_in(user, division) in DECIDING_ROLES


def is_director(user: Someone, division: Division | int) -> bool:
    return is_owner(user) or role_in(user, division) == Role.DIRECTOR


@dataclass(frozen=True)
class Standing:
    decides: bool
    directs: bool


def standing_in(user: Someone, division: Division | int) -> Standing:
    """`can_decide` and `is_director` together, reading ownership and the role once (the four-eyes
    check asks both of every approver, on every execution)."""
    if is_owner(user):
        return Standing(decides=True, directs=True)
    role = role_in(user, division)
    return Standing(decides=role in DECIDING_ROLES, directs=role == Role.DIRECTOR)


def visible_divisions(user: Someone) -> QuerySet[Division]:
    if is_owner(user):
        return Division.objects.all()
    if user is None or not user.is_authenticated:
        return Division.objects.none()
    return Division.objects.filter(memberships__user=user).distinct()


def deciding_divisions(user: Someone) -> QuerySet[Division]:
    if is_owner(user):
        return Division.objects.all()
    if user is None or not user.is_authenticated:
        return Division.objects.none()
    return Division.objects.filter(memberships__user=user, memberships__role__in=DECIDING_ROLES).distinct()


def signed_in(user: User | AnonymousUser) -> User:
    """The signed-in user a service acts for (the admin and the approval links require a login)."""
    if not user.is_authenticated:
        raise PermissionDenied("sign in first")
    return user


# --- customers' personal data ----------------------------------------------------------------------
# Names, e-mail addresses and orders of customers are personal data: seen by the owners, by the
# divisions whose work is the customers themselves, and by whoever is granted the permission
# (an auditor, say). The rule is data here; the permission itself belongs to brand's Customer, named
# by its string so that divisions imports no other app.
PII_DIVISIONS = frozenset({"retention", "sales"})
CUSTOMER_PII_PERMISSION = "brand.view_customer_pii"


def can_see_customer_pii(user: Someone) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if is_owner(user) or user.has_perm(CUSTOMER_PII_PERMISSION):
        return True
    return Membership.objects.filter(user=user, division__slug__in=PII_DIVISIONS).exists()
