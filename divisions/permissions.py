"""The permission rules, in one place: who sees and who decides, per division.

Owners (superusers, or members of the "Owners" group) see and decide everything. Staff see the
divisions they are members of; approvers and directors decide there; viewers only look.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet, Subquery

from atlas_project.request_cache import per_request

from .models import Division, Membership, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    # Whoever asks: a signed-in user, the anonymous user of a request, or nobody (a task).
    Someone = User | AnonymousUser | None

OWNERS_GROUP = "Owners"
DECIDING_ROLES = (Role.APPROVER, Role.DIRECTOR)


@dataclass(frozen=True)
class Access:
    """What one person may see and decide, read in one query and kept for the request: a console
    page asks per row and per widget, and the answer cannot change while it renders."""

    owner: bool
    divisions: tuple[Division, ...]  # every division, in slug order
    roles: dict[int, str]  # division id -> this person's role there

    def visible_ids(self) -> frozenset[int]:
        return frozenset(d.pk for d in self.divisions) if self.owner else frozenset(self.roles)

    def deciding_ids(self) -> frozenset[int]:
        if self.owner:
            return frozenset(d.pk for d in self.divisions)
        return frozenset(pk for pk, role in self.roles.items() if role in DECIDING_ROLES)


NOBODY = Access(owner=False, divisions=(), roles={})


def _active(user: Someone) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def access(user: Someone) -> Access:
    if user is None or not _active(user) or user.pk is None:
        return NOBODY
    user_id: int = user.pk
    superuser = user.is_superuser
    return per_request(("access", user_id), lambda: _read_access(user_id, superuser=superuser))


def _read_access(user_id: int, *, superuser: bool) -> Access:
    # One row per division, with this person's role there and whether they own the brand.
    rows = list(
        Division.objects.annotate(
            person_role=Subquery(
                Membership.objects.filter(user_id=user_id, division=OuterRef("pk")).values("role")[:1]
            ),
            person_owns=Exists(Group.objects.filter(name=OWNERS_GROUP, user__pk=user_id)),
        ).order_by("slug")
    )
    owner = superuser or any(getattr(d, "person_owns", False) for d in rows)
    if not rows and not superuser:
        # No division exists yet (a fresh database): ownership still counts.
        owner = Group.objects.filter(name=OWNERS_GROUP, user__pk=user_id).exists()
    roles = {d.pk: d.person_role for d in rows if d.person_role}
    return Access(owner=owner, divisions=tuple(rows), roles=roles)


def is_owner(user: Someone) -> bool:
    if user is None or not _active(user):
        return False
    if user.is_superuser:
        return True
    return access(user).owner


def roles(user: Someone) -> dict[int, str]:
    """{division id: role} of every membership."""
    return access(user).roles


def role_in(user: Someone, division: Division | int) -> str | None:
    division_id = division.pk if isinstance(division, Division) else division
    return roles(user).get(division_id)


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
    """`can_decide` and `is_director` together, reading the person's access once even outside a
    request's scope (the four-eyes check asks both of every approver, on every execution)."""
    if user is None or not _active(user):
        return Standing(decides=False, directs=False)
    person = access(user)
    if user.is_superuser or person.owner:
        return Standing(decides=True, directs=True)
    division_id = division.pk if isinstance(division, Division) else division
    role = person.roles.get(division_id)
    return Standing(decides=role in DECIDING_ROLES, directs=role == Role.DIRECTOR)


def visible_divisions(user: Someone) -> QuerySet[Division]:
    # By id, not by a join on memberships: a proposals query then filters on a short list of ids
    # the database matches against its (division, status) index.
    if is_owner(user):
        return Division.objects.all()
    return Division.objects.filter(pk__in=sorted(access(user).visible_ids()))


def deciding_divisions(user: Someone) -> QuerySet[Division]:
    if is_owner(user):
        return Division.objects.all()
    return Division.objects.filter(pk__in=sorted(access(user).deciding_ids()))


def visible_division_list(user: Someone) -> list[Division]:
    """The divisions this person sees, in slug order, without a query once the request knows them."""
    seen = access(user).visible_ids()
    return [d for d in access(user).divisions if d.pk in seen]


def sees_anywhere(user: Someone) -> bool:
    return bool(access(user).visible_ids())


def decides_anywhere(user: Someone) -> bool:
    return bool(access(user).deciding_ids())


def directs_anywhere(user: Someone) -> bool:
    return is_owner(user) or Role.DIRECTOR in roles(user).values()


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
    return any(d.slug in PII_DIVISIONS for d in visible_division_list(user))
