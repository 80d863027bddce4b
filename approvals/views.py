"""The e-mail approval link: GET shows, POST (with CSRF) decides once through the services."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from divisions.permissions import signed_in

from . import services
from .errors import ApprovalError
from .links import LinkError, is_used, read_token, token_hash
from .models import LinkUse, ProposedAction
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
    context = {
        "title": f"Proposal #{proposal.pk}",
        "proposal": proposal,
        "verdict": payload["v"],
        "verdict_words": VERDICT_WORDS[payload["v"]],
        "decisions": decisions_for(proposal),
        "needs_text": payload["v"] != "approve",
    }
    if payload["u"] != request.user.pk:
        context["error"] = "this link was sent to someone else; sign in as that person or decide in the console"
        return _render(request, context, status=403)
    if is_used(token):
        context["error"] = "this link has been used already"
        return _render(request, context, status=410)
    if request.method == "GET":
        return _render(request, context)

    text = request.POST.get("comment", "").strip()
    user = signed_in(request.user)
    try:
        with transaction.atomic():
            LinkUse.objects.create(token_hash=token_hash(token), proposal=proposal, user=user, verdict=payload["v"])
    except IntegrityError:
        context["error"] = "this link has been used already"
        return _render(request, context, status=410)
    try:
        if payload["v"] == "approve":
            proposal = services.proposal_approve(proposal=proposal, user=user, comment=text, via="email")
        elif payload["v"] == "reject":
            proposal = services.proposal_reject(proposal=proposal, user=user, reason=text, via="email")
        else:
            proposal = services.proposal_send_back(proposal=proposal, user=user, comment=text, via="email")
    except ApprovalError as exc:
        context["error"] = str(exc)
        return _render(request, context, status=409)
    context.update(proposal=proposal, done=True, decisions=decisions_for(proposal))
    return _render(request, context)
