"""`revise`: what a revision after a send-back proposes and says, per kind of ask, for any action type."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Annotated

import pydantic
import pytest

from agents.runtime.revising import revise
from approvals import registry


class PromoArgs(pydantic.BaseModel):
    code: str
    percent_off: Annotated[Decimal, pydantic.Field(gt=0, le=90)]
    send_at: dt.datetime | None = None
    subject: str | None = None
    budget: Decimal | None = None


class Promo(registry.ActionType):
    key = "test.promo"
    category = "message"
    Args = PromoArgs

    def targets(self, args: dict) -> tuple[str, ...]:
        return (f"code:{args.get('code')}",)


ARGS = {
    "code": "SPRING",
    "percent_off": "25",
    "send_at": "2026-12-05T10:00:00+01:00",
    "subject": "Spring sale",
    "budget": "300.00",
}


@pytest.fixture(autouse=True)
def promo_type():
    registry._registry[Promo.key] = Promo()
    yield
    registry.unregister(Promo.key)


def _original() -> SimpleNamespace:
    # `revise` reads only the type and the arguments of the proposal sent back.
    return SimpleNamespace(action_type=Promo.key, args=dict(ARGS))


@pytest.mark.parametrize(
    ("comment", "field", "value", "said"),
    [
        ("15%, not 25%", "percent_off", "15", "percent off 25% → 15%"),
        ("cap the spend at $120", "budget", "120", "budget $300 → $120"),
        ("send it on 2026-12-10 instead", "send_at", "2026-12-10T10:00:00+01:00", "send at 2026-12-05T10:00:00+01:00"),
        ("subject: Hello spring", "subject", "Hello spring", "subject “Spring sale” → “Hello spring”"),
    ],
)
def test_each_kind_of_ask_changes_its_one_argument(db, comment, field, value, said):
    revision = revise(original=_original(), args=dict(ARGS), comment=comment)

    assert revision.changed
    assert Promo().parse(revision.args) == Promo().parse({**ARGS, field: value})
    assert revision.note.startswith(f"Revised after the comment “{comment}”: ")
    assert said in revision.note


def test_what_the_agent_changed_itself_is_said_and_not_overridden(db):
    revision = revise(original=_original(), args={**ARGS, "percent_off": "20"}, comment="make it 15%")

    assert revision.args["percent_off"] == "20"
    assert revision.note == "Revised after the comment “make it 15%”: percent off 25% → 20%."


def test_a_value_that_does_not_fit_the_action_is_not_applied_and_named(db):
    revision = revise(original=_original(), args=dict(ARGS), comment="make it 95%")

    assert not revision.changed
    assert revision.args == Promo().dump(Promo().parse(ARGS))
    assert revision.note.startswith("Could not act on the comment “make it 95%”: 95% does not fit (test.promo: ")
    assert revision.note.endswith("The agent keeps its proposal as it was.")


def test_asking_for_what_it_already_is_says_so(db):
    revision = revise(original=_original(), args=dict(ARGS), comment="keep it at 25%")

    assert not revision.changed
    assert "percent off is already 25%" in revision.note


def test_an_action_type_gone_since_leaves_the_agents_arguments_to_proposal_create(db):
    gone = SimpleNamespace(action_type="test.gone", args={"x": 1})

    revision = revise(original=gone, args={"x": 1}, comment="make it $5")

    assert (revision.args, revision.note) == ({"x": 1}, "")
