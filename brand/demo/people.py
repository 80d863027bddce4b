"""The demo's people: the owner, and an approver and a director for each of the eight divisions.

Passwords come from settings.ATLAS_DEMO_PASSWORD; when it is unset, one password is generated
for the users this run creates and returned so the command can print it once. Users that
already exist keep their password.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from divisions.models import Division, Membership, Role
from divisions.permissions import CUSTOMER_PII_PERMISSION, OWNERS_GROUP

if TYPE_CHECKING:
    # The configured user model: what get_user_model() returns under tests.settings.
    from django.contrib.auth.models import User as AuthUser

STAFF_GROUP = "Division staff"
STAFF_APPS = ("brand", "memory", "approvals", "agents")
EMAIL_DOMAIN = "hearthandpine.example"


@dataclass
class PeopleResult:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    generated_password: str | None = None


def staff_group_set() -> Group:
    """View on every model of the apps staff work in, and change on proposals (the console scopes
    what each person actually sees and decides by division).

    Not the customers' personal data: that comes with the divisions that need it, or the Owners group.
    """
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    pii_app, pii_codename = CUSTOMER_PII_PERMISSION.split(".")
    wanted = set(
        Permission.objects.filter(
            Q(content_type__app_label__in=STAFF_APPS, codename__startswith="view_")
            | Q(content_type__app_label="approvals", codename="change_proposedaction")
        )
        .exclude(content_type__app_label=pii_app, codename=pii_codename)
        .values_list("pk", flat=True)
    )
    if set(group.permissions.values_list("pk", flat=True)) != wanted:
        group.permissions.set(wanted)
    return group


def people_set() -> PeopleResult:
    result = PeopleResult()
    password = settings.ATLAS_DEMO_PASSWORD or None
    hashed: str | None = None
    User = get_user_model()
    owners, _ = Group.objects.get_or_create(name=OWNERS_GROUP)
    staff = staff_group_set()

    def user(username: str, *, superuser: bool = False) -> AuthUser:
        nonlocal password, hashed
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            result.existing.append(username)
            return existing
        if password is None:
            password = result.generated_password = secrets.token_urlsafe(12)
        if hashed is None:
            # One slow hash for the seventeen demo users that share the password, not seventeen.
            hashed = make_password(password)
        created = User.objects.create(
            username=username,
            email=f"{username}@{EMAIL_DOMAIN}",
            password=hashed,
            is_staff=True,
            is_superuser=superuser,
        )
        result.created.append(username)
        return created

    owner = user("owner", superuser=True)
    owner.groups.add(owners)
    for division in Division.objects.order_by("slug"):
        for role in (Role.APPROVER, Role.DIRECTOR):
            person = user(f"{division.slug}_{role}")
            person.groups.add(staff)
            membership = Membership.objects.filter(user=person, division=division).first()
            if membership is None:
                Membership.objects.create(user=person, division=division, role=role)
            elif membership.role != role:
                membership.role = role
                membership.save(update_fields=["role"])
    return result
