"""The atlas_memory command: add as a person, recall, show a key, conflicts; --json and clear errors."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from memory.models import MemoryEntry
from memory.services import remember
from tests.memory.factories import run_of

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("atlas_memory", *args, stdout=out)
    return out.getvalue()


def test_add_as_director_then_show_json(growth_director):
    out = run(
        "add",
        "--key",
        "policy:discount:max_pct",
        "--text",
        "No discounts above 20% this quarter",
        "--value",
        "20",
        "--division",
        "growth",
        "--as",
        "growth_director",
        "--json",
    )
    added = json.loads(out)
    assert (added["kind"], added["author"], added["data"], added["division"]) == (
        "preference",
        "growth_director",
        {"value": 20},
        "growth",
    )
    entry = MemoryEntry.objects.get(pk=added["id"])
    assert entry.history.get().history_actor == "user:growth_director"
    shown = json.loads(run("show", "policy:discount:max_pct", "--json"))
    assert shown["current"]["id"] == added["id"]
    assert shown["in_conflict"] is False
    assert [h["author"] for h in shown["history"]] == ["growth_director"]


def test_show_lists_history_with_authors(growth_director):
    remember(key="campaign:12:roas_7d", text="ROAS 2.4", data={"value": 2.4}, author_run=run_of("growth.paid_media"))
    remember(key="campaign:12:roas_7d", text="ROAS 1.1", data={"value": 1.1}, author_user=growth_director)
    out = run("show", "campaign:12:roas_7d")
    assert "campaign:12:roas_7d = ROAS 1.1 [IN CONFLICT]" in out
    assert "by growth_director: value=1.1 ROAS 1.1" in out
    assert "by growth.paid_media: value=2.4 ROAS 2.4" in out


def test_recall_text_and_json():
    entry = remember(text="TikTok pacing is 30% behind plan", author_run=run_of("growth.paid_media"), division="growth")
    assert "TikTok pacing is 30% behind plan" in run("recall", "tiktok pacing")
    found = json.loads(run("recall", "tiktok pacing", "--division", "growth", "--kind", "observation", "--json"))
    assert [e["id"] for e in found] == [entry.pk]
    assert json.loads(run("recall", "tiktok", "--division", "finance", "--json")) == []
    assert "Nothing found." in run("recall", "zebra")


def test_conflicts_json_and_all(owner):
    remember(key="channel:tiktok:pacing", text="on track", author_run=run_of("growth.paid_media"))
    remember(key="channel:tiktok:pacing", text="behind", author_run=run_of("growth.attribution"))
    (conflict,) = json.loads(run("conflicts", "--json"))
    assert (conflict["key"], conflict["earlier_value"], conflict["later_value"], conflict["is_open"]) == (
        "channel:tiktok:pacing",
        "on track",
        "behind",
        True,
    )
    assert "growth.attribution: 'behind'" in run("conflicts")
    from memory.models import Conflict
    from memory.services import conflict_resolve

    conflict_resolve(conflict=Conflict.objects.get(), user=owner, note="attribution is right")
    assert json.loads(run("conflicts", "--json")) == []
    assert json.loads(run("conflicts", "--all", "--json"))[0]["resolved_by"] == "owner"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "--text", "x", "--as", "nobody"], "--as 'nobody': no such user"),
        (["add", "--text", "x", "--value", "{bad", "--as", "growth_director", "--division", "growth"], "--value"),
        (["add", "--text", "x", "--kind", "rumour", "--as", "growth_director", "--division", "growth"], "kind="),
        (["add", "--text", "x", "--key", "Bad Key", "--as", "growth_director", "--division", "growth"], "key="),
        (["add", "--text", "x", "--as", "growth_director", "--division", "astrology"], "division='astrology'"),
        (["add", "--text", "x", "--as", "growth_director", "--division", "finance"], "may not add"),
        (["add", "--text", "x", "--as", "growth_director"], "only owners"),
        (["show", "sku:NOPE:stock"], "nothing remembered"),
        (["show", "nope"], "expected entity:attribute"),
        (["recall", "x", "--kind", "rumour"], "kinds="),
        (["recall", "x", "--limit", "0"], "--limit"),
    ],
)
def test_errors_are_command_errors_and_nothing_is_written(args, message, growth_director):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace("[", r"\[")):
        run(*args)
    assert not MemoryEntry.objects.exists()
