"""Decide on a proposal from the shell, through the same services as the console."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from approvals import services
from approvals.errors import ApprovalError
from approvals.executor import executing_inline
from approvals.models import Execution, ProposedAction

VERDICTS = ("approve", "reject", "send-back", "cancel")

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class Command(BaseCommand):
    help = "Approve, reject, send back or cancel a proposal as a given user (the same rules as the console)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("proposal_id", type=int, help="The proposal's id.")
        parser.add_argument("verdict", choices=VERDICTS, help="What to decide.")
        parser.add_argument("--as", dest="username", required=True, help="The deciding user's username.")
        parser.add_argument("--comment", default="", help="Comment; required for reject (the reason) and send-back.")
        parser.add_argument(
            "--sync", action="store_true", help="Execute an approved proposal in this process instead of queueing it."
        )
        parser.add_argument("--json", action="store_true", help="Print the outcome as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"--as {options['username']!r}: no such user")
        proposal = ProposedAction.objects.filter(pk=options["proposal_id"]).first()
        if proposal is None:
            raise CommandError(f"proposal #{options['proposal_id']} does not exist")
        verdict, comment = options["verdict"], options["comment"]
        try:
            if options["sync"]:
                with executing_inline():
                    proposal = self._decide(proposal, user, verdict, comment)
            else:
                proposal = self._decide(proposal, user, verdict, comment)
        except ApprovalError as exc:
            raise CommandError(str(exc)) from exc
        proposal.refresh_from_db()
        execution = Execution.objects.filter(proposal=proposal).order_by("-attempt").first()
        outcome = {
            "proposal": proposal.pk,
            "verdict": verdict,
            "by": user.get_username(),
            "status": proposal.status,
            "status_reason": proposal.status_reason,
            "preview": proposal.preview,
            "execution": None
            if execution is None
            else {
                "attempt": execution.attempt,
                "ok": execution.ok,
                "result": execution.result,
                "error": execution.error,
            },
        }
        if options["json"]:
            self.stdout.write(json.dumps(outcome, indent=2, default=str))
            return
        name = proposal.title or proposal.action_type
        line = f"#{proposal.pk} {name}: {verdict} by {user.get_username()} -> {proposal.status}"
        if proposal.status_reason:
            line += f" ({proposal.status_reason})"
        self.stdout.write(line)

    def _decide(self, proposal: ProposedAction, user: User, verdict: str, comment: str) -> ProposedAction:
        decision = services.proposal_decide(
            proposal=proposal, user=user, verdict=verdict.replace("-", "_"), comment=comment, via="command"
        )
        return decision.proposal
