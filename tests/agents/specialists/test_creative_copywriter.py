"""creative.copywriter: drafts e-mail copy for the others and revises it after a send-back comment."""

from __future__ import annotations

import pytest

from agents.specialists.creative import (
    Copywriter,
    EmailCopy,
    apply_comment,
    offline_email,
)
from tests.agents.specialists.gro_brand import build_control_brand, run_agent

pytestmark = pytest.mark.django_db


def test_apply_comment_changes_numbers_tone_and_subject():
    copy = offline_email("promotion", {"product": "Roasting Pan", "percent": "25", "code": "HP310SAVE25"})
    assert copy.subject == "25% off the Roasting Pan, this week only"
    revised = apply_comment(copy, "make it 15% not 25%, and a softer tone")
    assert revised.subject == "15% off the Roasting Pan, this week"
    assert "15% off with code" in revised.body and "25%" not in revised.body
    titled = apply_comment(EmailCopy(subject="Old", body="Hi"), 'subject: "A gift for you"')
    assert titled.subject == "A gift for you"


def test_copywriter_revises_an_email_it_is_handed_back():
    build_control_brand()
    _run, (draft,) = run_agent(Copywriter.key, intent_text="Write an email to the vip segment about our new range")
    assert draft.action_type == "email.send_campaign" and draft.args["segment"] == "vip"
    _run, (revised,) = run_agent(Copywriter.key, feedback=(draft, 'Keep it, but subject: "Something new for you"'))
    assert revised.revision_of == draft
    assert revised.args["subject"] == "Something new for you"
    assert revised.args["body"] == draft.args["body"] and revised.args["segment"] == "vip"
    assert "Something new for you" in revised.rationale


def test_copywriter_alone_in_the_cycle_proposes_nothing():
    build_control_brand()
    _run, proposals = run_agent(Copywriter.key)
    assert proposals == []


def test_a_requested_email_is_about_the_topic_not_the_request():
    build_control_brand()
    _run, (draft,) = run_agent(Copywriter.key, intent_text="Draft an e-mail to all subscribers about our autumn range.")
    assert draft.args["segment"] == "all-subscribers"
    assert "our autumn range" in draft.args["subject"] and "Draft an e-mail" not in draft.args["body"]
