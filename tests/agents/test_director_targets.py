"""A director's duplicates: one action type on the same targets, as the type declares them."""

from __future__ import annotations

from agents.directors import Director
from approvals.models import ProposedAction


def _proposal(action_type: str, args: dict) -> ProposedAction:
    return ProposedAction(action_type=action_type, args=args)


def test_same_type_same_targets_is_one_duplicate_key():
    director = Director()
    raise_it = _proposal("ads.set_daily_budget", {"campaign_id": 12, "daily_budget": "90.00"})
    cut_it = _proposal("ads.set_daily_budget", {"campaign_id": 12, "daily_budget": "60.00"})
    other = _proposal("ads.set_daily_budget", {"campaign_id": 13, "daily_budget": "60.00"})
    assert director.target_of(raise_it) == director.target_of(cut_it) == "campaign:12"
    assert director.target_of(other) != director.target_of(cut_it)


def test_new_sends_to_different_segments_are_not_duplicates():
    # The old guess read `email_campaign_id` (None for a new send) and made every new send one duplicate.
    director = Director()
    vip = _proposal("email.send_campaign", {"email_campaign_id": None, "segment": "vip", "subject": "Hi"})
    lapsed = _proposal("email.send_campaign", {"email_campaign_id": None, "segment": "lapsed", "subject": "Hi"})
    assert director.target_of(vip) != director.target_of(lapsed)


def test_an_unregistered_type_falls_back_to_identical_arguments():
    director = Director()
    first = _proposal("gone.away", {"b": 1, "a": 2})
    assert director.target_of(first) == director.target_of(_proposal("gone.away", {"a": 2, "b": 1}))
    assert director.target_of(first) != director.target_of(_proposal("gone.away", {"a": 3, "b": 1}))
