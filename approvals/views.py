"""The e-mail approval link: GET shows the proposal (and the form for a reason or a comment), POST
(with CSRF) decides through `proposal_decide`, which uses the link up in the decision's transaction.

A link that cannot decide (the proposal is held, stale, expired or decided already) shows a page
saying so plainly, and stays unused wherever it could still decide later (a hold released).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from divisions.permissions import signed_in

from . import services
from .errors import ApprovalError, InvalidArguments
from .links import LinkError, link_blocker, link_use, read_token
from .models import ProposedAction
from .selectors import decisions_for

VERDICT_WORDS = {"approve": "Approve", "reject": "Reject", "send_back": "Send back"}


def _render(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    return render(request, "approvals/link.html", {**admin.site.each_context(request), **context}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def decide_by_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        payload = read_token(token)
    except LinkError as exc:
        return _render(request, {"error": str(exc), "title": "Approval link"}, status=410)
    proposal = ProposedAction.objects.select_related("division").filter(pk=payload["p"]).first()
    if proposal is None:
        return _render(request, {"error": "this proposal no longer exists", "title": "Approval link"}, status=404)
    verdict = payload["v"]
    context = {
        "title": f"Proposal #{proposal.pk}",
        "proposal": proposal,
        "verdict": verdict,
        "verdict_words": VERDICT_WORDS[verdict],
        "decisions": decisions_for(proposal),
        "needs_text": verdict != "approve",
    }
    if payload["u"] != request.user.pk:
        context["error"] = "this link was sent to someone else; sign in as that person or decide in the console"
        return _render(request, context, status=403)
    used = link_use(token)
    if used is not None:
        took = f": {used.decision.actor_label} {used.decision.get_verdict_display().lower()}" if used.decision else ""
        context["error"] = f"this link has been used already{took} ({used.used_at:%Y-%m-%d %H:%M})"
        return _render(request, context, status=410)
    blocker = link_blocker(proposal, verdict=verdict, user=signed_in(request.user))
    if blocker:
        context["blocked"] = blocker
        return _render(request, context, status=200 if request.method == "GET" else 409)
    if request.method == "GET":
        return _render(request, context)

    text = request.POST.get("comment", "")
    try:
        decision = services.proposal_decide(
            proposal=proposal, user=signed_in(request.user), verdict=verdict, comment=text, via="link", link=token
        )
    except InvalidArguments as exc:
        # A missing reason or comment: the form again, the link still unused.
        context.update(invalid=str(exc), comment=text)
        return _render(request, context, status=400)
    except ApprovalError as exc:
        proposal.refresh_from_db()
        context.update(proposal=proposal, decisions=decisions_for(proposal), error=str(exc))
        context["blocked"] = link_blocker(proposal, verdict=verdict, user=signed_in(request.user))
        return _render(request, context, status=409)
    context.update(proposal=decision.proposal, done=True, decisions=decisions_for(decision.proposal))
    return _render(request, context)
