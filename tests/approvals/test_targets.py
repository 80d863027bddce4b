"""`ActionType.targets`: what a proposal acts on, declared by every registered action type."""

from __future__ import annotations

import re

import pydantic
import pytest

from approvals import registry
from approvals.errors import UnknownActionType

# One example of stored arguments per registered type, and what it acts on. A new action type
# without an entry here fails `test_every_registered_type_declares_its_targets`.
EXAMPLES: dict[str, tuple[dict, tuple[str, ...]]] = {
    "ads.set_daily_budget": ({"campaign_id": 12, "daily_budget": "80.00"}, ("campaign:12",)),
    "ads.pause_campaign": ({"campaign_id": 12}, ("campaign:12",)),
    "ads.resume_campaign": ({"campaign_id": 7}, ("campaign:7",)),
    "brief.draft": ({"title": "Spring refresh", "body": "..."}, ("document:Spring refresh",)),
    "report.publish": ({"title": "May pacing", "body": "..."}, ("document:May pacing",)),
    "email.send_campaign": ({"email_campaign_id": 5, "segment": None}, ("email:5",)),
    "po.create": (
        {"supplier": "Ironworks", "lines": [{"sku": "HP-104", "quantity": 5}, {"sku": "CI-300", "quantity": 1}]},
        ("sku:CI-300", "sku:HP-104", "supplier:Ironworks"),
    ),
    "po.confirm": ({"po": "PO-7"}, ("po:PO-7",)),
    "pricing.create_discount": (
        {"code": "SPRING15", "percent_off": "15", "skus": ["LA-220", "HP-104", "LA-220"]},
        ("discount:SPRING15", "sku:HP-104", "sku:LA-220"),
    ),
    "pricing.set_markdown": ({"sku": "HP-104", "percent": "20"}, ("sku:HP-104",)),
    "pricing.retire_discount": ({"code": "OLD10"}, ("discount:OLD10",)),
    "calendar.reschedule": ({"item_id": 3, "starts_at": "2026-05-01T09:00:00+00:00"}, ("calendar:3",)),
    "segment.build": ({"key": "vip_lapsing", "name": "VIP lapsing", "rule": {}}, ("segment:vip_lapsing",)),
}
TARGET = re.compile(r"^[a-z_]+:.+$")


def test_every_registered_type_declares_its_targets():
    types = list(registry.all_types())
    assert types
    for action in types:
        assert type(action).targets is not registry.ActionType.targets, f"{action.key} does not declare targets"
        assert action.key in EXAMPLES, f"{action.key}: add an example of its targets to this test"


@pytest.mark.parametrize(("key", "example"), sorted(EXAMPLES.items()))
def test_the_declared_targets(key, example):
    args, expected = example
    declared = registry.targets_of(key, args)
    assert declared == expected
    assert all(TARGET.match(target) for target in declared)


def test_a_new_send_acts_on_its_segment():
    assert registry.targets_of("email.send_campaign", {"segment": "vip_lapsing", "subject": "Hi"}) == (
        "segment:vip_lapsing",
    )


def test_a_storewide_discount_acts_on_its_code_only():
    assert registry.targets_of("pricing.create_discount", {"code": "ALL10", "percent_off": "10"}) == ("discount:ALL10",)


def test_target_ids_pick_one_kind():
    assert registry.target_ids(("discount:X", "sku:A", "sku:B-2"), "sku") == ["A", "B-2"]
    assert registry.target_ids(("discount:X",), "campaign") == []


def test_an_unknown_type_is_named():
    with pytest.raises(UnknownActionType, match=r"nope\.nothing"):
        registry.targets_of("nope.nothing", {})


def test_a_type_without_targets_fails_loudly():
    class SilentArgs(pydantic.BaseModel):
        x: int

    class Silent(registry.ActionType):
        key = "test.silent"
        category = "internal"
        Args = SilentArgs

    with pytest.raises(NotImplementedError, match=r"test\.silent"):
        Silent().targets({"x": 1})
