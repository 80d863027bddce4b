"""Today (the console's front page) and the Ask box: thin views over `agents.orchestrator.today` and
`agents.orchestrator.intents`. Mounted by atlas_project/urls.py inside the admin (its login, its look)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from agents.models import Intent
from agents.orchestrator.intents import IntentError, intent_proposals, intent_submit
from agents.orchestrator.today import dress_proposals, today_for
from divisions import permissions
from divisions.permissions import signed_in


def _asked(request: HttpRequest) -> tuple[Intent | None, list]:
    """The intent named in ?intent=, if this person may see it (theirs, or routed to their division)."""
    pk = request.GET.get("intent", "")
    if not pk.isdigit():
        return None, []
    intents = Intent.objects.select_related("division")
    if not permissions.is_owner(request.user):
        intents = intents.filter(Q(user=request.user) | Q(division__in=permissions.visible_divisions(request.user)))
    intent = intents.filter(pk=int(pk)).first()
    if intent is None:
        return None, []
    visible = set(permissions.visible_divisions(request.user).values_list("pk", flat=True))
    proposals = [p for p in intent_proposals(intent) if p.division_id in visible]
    return intent, dress_proposals(proposals, request.user)


def today_view(request: HttpRequest) -> HttpResponse:
    intent, intent_proposals_shown = _asked(request)
    context = {
        **admin.site.each_context(request),
        "title": "Today",
        "today": today_for(request.user),
        "intent": intent,
        "intent_proposals": intent_proposals_shown,
        "here": request.get_full_path(),
    }
    return TemplateResponse(request, "admin/today.html", context)


def records_view(request: HttpRequest) -> HttpResponse:
    """Django's index of every model, one click from Today ("All records")."""
    return admin.site.index(request, extra_context={"title": "All records"})


@require_POST
def ask_view(request: HttpRequest) -> HttpResponse:
    """The Ask box: the request is routed to a division as the signed-in person, its specialists run."""
    today = reverse("admin:index")
    division = request.POST.get("division", "").strip() or None
    try:
        intent = intent_submit(user=signed_in(request.user), text=request.POST.get("text", ""), division=division)
    except IntentError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(today)
    count = intent_proposals(intent).count()
    where = intent.division.name if intent.division is not None else "no division"
    messages.success(request, f"Asked {where}: {count} proposal{'s' if count != 1 else ''} came back.")
    return HttpResponseRedirect(f"{today}?intent={intent.pk}#asked")
