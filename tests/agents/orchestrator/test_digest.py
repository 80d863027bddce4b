"""The morning digest, sent through a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import email
import re
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from agents.orchestrator.digest import digest_due, digests_send
from agents.orchestrator.tasks import digest_if_due
from agents.runtime.services import agent_run_start
from approvals.links import read_token
from approvals.models import ProposedAction, Status
from memory.selectors import current
from tests.agents.orchestrator.scenario import build_day

pytestmark = pytest.mark.django_db

SITE = "https://atlas.hearth-and-pine.test"


class Collect:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=controller.port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            ATLAS_SITE_URL=SITE,
        ):
            yield handler
    finally:
        controller.stop()


@pytest.fixture
def day(owner, growth_approver, finance_director, outsider):
    built = build_day()
    run = agent_run_start(agent_key="orchestrator", trigger="manual", sync=True)
    assert run.status == "succeeded", run.error
    return built


def parts(message):
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    return html, text, images


def by_recipient(smtp):
    return {rcpts[0]: msg for rcpts, msg in smtp.messages}


def test_each_person_with_a_membership_gets_one_digest_of_their_divisions(smtp, day):
    summaries = digests_send(day=day.today)
    assert all(s["sent"] for s in summaries)
    mails = by_recipient(smtp)
    assert sorted(mails) == ["finance_director@example.com", "growth_approver@example.com", "owner@example.com"]
    assert len(smtp.messages) == 3

    growth_html, growth_text, _ = parts(mails["growth_approver@example.com"])
    assert "Evergreen - Retargeting is earning 6.0x" in growth_html
    assert "Evergreen - Retargeting is earning 6.0x" in growth_text
    # Operations' risk and retention's opportunity are not growth's.
    assert "HP-104 runs out before its next delivery" not in growth_html
    assert "We miss you" not in growth_html and "We miss you" not in growth_text

    finance_html, _, _ = parts(mails["finance_director@example.com"])
    assert "Evergreen" not in finance_html and "HP-104 runs out" not in finance_html

    owner_html, _, _ = parts(mails["owner@example.com"])
    for title in ("HP-104 runs out before its next delivery", "Evergreen - Retargeting", "We miss you"):
        assert title in owner_html


def test_pending_decisions_come_with_signed_links_for_that_person_only(smtp, day):
    digests_send(day=day.today)
    mails = by_recipient(smtp)
    _, growth_text, _ = parts(mails["growth_approver@example.com"])
    waiting = growth_text.split("Waiting for your decision")[1]
    decided = {int(n) for n in re.findall(r"^#(\d+) ", waiting, flags=re.M)}
    # Growth decides growth's proposals; operations decides the PO, retention the send.
    assert decided == {day.raise_hearth.pk, day.pause.pk, day.raise_evergreen.pk}
    links = re.findall(rf"{re.escape(SITE)}/approvals/[^\s\"<]+", growth_text)
    assert links, growth_text
    assert "Held:" in growth_text  # the held raise on Hearth Pot says why
    _, finance_text, _ = parts(mails["finance_director@example.com"])
    assert "Nothing waits for your decision." in finance_text


def _block(text: str, pk: int) -> str:
    """The lines of one waiting proposal in the text part."""
    return text.split("Waiting for your decision")[1].split(f"\n#{pk} ")[1].split("\n#")[0]


def test_the_digest_offers_send_back_with_a_comment_and_no_approval_of_ones_own_request(smtp, day, growth_approver):
    ProposedAction.objects.filter(pk=day.raise_evergreen.pk).update(proposed_by=growth_approver)
    digests_send(day=day.today)
    _, text, _ = parts(by_recipient(smtp)["growth_approver@example.com"])

    pause = _block(text, day.pause.pk)
    urls = dict(re.findall(r"^  (Approve|Send back|Reject): +(\S+)", pause, flags=re.M))
    assert sorted(urls) == ["Approve", "Reject", "Send back"]
    token = urls["Send back"].rstrip("/").rsplit("/", 1)[1]
    assert {k: read_token(token)[k] for k in "puv"} == {"p": day.pause.pk, "u": growth_approver.pk, "v": "send_back"}
    # The person asked for the Evergreen raise: they may send it back or reject it, not approve it.
    own = _block(text, day.raise_evergreen.pk)
    assert "Approve:" not in own and "someone else approves it" in own and "Send back:" in own

    client = Client()
    client.force_login(growth_approver)
    path = urls["Send back"][len(SITE) :]
    form = client.get(path)
    assert form.status_code == 200 and b"Comment for the agent" in form.content
    assert ProposedAction.objects.get(pk=day.pause.pk).status == Status.PENDING  # GET decides nothing
    response = client.post(path, {"comment": "Pause it after the weekend sale, not before"})
    assert response.status_code == 200 and b"Done" in response.content
    pause_row = ProposedAction.objects.get(pk=day.pause.pk)
    assert (pause_row.status, pause_row.status_reason) == (
        Status.SENT_BACK,
        "Pause it after the weekend sale, not before",
    )
    assert pause_row.decisions.get().via == "link"


def test_the_chart_is_an_inline_png_and_the_html_has_no_external_assets(smtp, day):
    digests_send(day=day.today)
    for _rcpts, message in smtp.messages:
        html, _text, images = parts(message)
        assert len(images) == 1
        png = images[0]
        assert png.get_payload(decode=True).startswith(b"\x89PNG\r\n\x1a\n")
        cid = png["Content-ID"].strip("<>")
        assert f'src="cid:{cid}"' in html
        for url in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert url.startswith(("cid:", SITE)), url
        assert "@import" not in html and "url(" not in html


def test_dry_run_sends_nothing_and_says_who_would_get_what(smtp, day, capsys):
    call_command("atlas_digest", "--dry-run", "--date", day.today.isoformat())
    out = capsys.readouterr().out
    assert "growth_approver <growth_approver@example.com> would get" in out
    assert "outsider" not in out
    assert smtp.messages == []


def test_the_schedule_sends_the_digest_once(smtp, day):
    assert digest_due(day.today)
    assert "3 of 3 sent" in digest_if_due()
    assert current(f"briefing:{day.today.isoformat()}:digest").data["value"] == 3
    assert not digest_due(day.today)
    assert "not due" in digest_if_due()
    assert len(smtp.messages) == 3


def test_no_briefing_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No briefing for 2020-01-01"):
        call_command("atlas_digest", "--date", "2020-01-01")


def test_the_digest_schedule_is_registered_with_the_others(db):
    from django_q.models import Schedule

    from agents.runtime.schedules import ensure_schedules

    ensure_schedules()
    ensure_schedules()
    schedule = Schedule.objects.get(name="orchestrator: morning digest")
    assert schedule.func == "agents.orchestrator.tasks.digest_if_due"
    assert Schedule.objects.filter(name="orchestrator: morning digest").count() == 1


def test_each_waiting_decision_says_what_it_puts_at_stake(smtp, day):
    digests_send(day=day.today)
    _, owner_text, _ = parts(by_recipient(smtp)["owner@example.com"])
    # The win-back spends nothing but carries the value proposal_create stored (the scenario's estimate).
    winback = _block(owner_text, day.winback.pk)
    assert "At stake: spends $0; expected revenue about $4,800: memory #" in winback
    assert "At stake: spends $" in _block(owner_text, day.raise_evergreen.pk)
    ranked = owner_text.split("The rest, ranked")[1].split("Waiting for your decision")[0]
    assert re.search(r"at stake, \d+% confidence, urgency x\d", ranked), ranked
