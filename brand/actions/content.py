"""Internal work products: creative briefs and published reports (brand.Document)."""

from __future__ import annotations

from typing import Annotated

import pydantic

from approvals.registry import register

from ..models import Document, DocumentKind
from .base import BrandAction


class DocumentArgs(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    title: Annotated[str, pydantic.Field(min_length=1, max_length=200)]
    body: Annotated[str, pydantic.Field(min_length=1)]
    data: dict = pydantic.Field(default_factory=dict)


class _DocumentAction(BrandAction):
    category = "internal"
    Args = DocumentArgs
    kind: str
    verb: str

    def targets(self, args: dict) -> tuple[str, ...]:
        return (f"document:{args.get('title')}",)

    def title(self, args: DocumentArgs) -> str:
        return f"{self.verb}: {args.title}"[:200]

    def preview(self, args: DocumentArgs) -> str:
        return f"{self.verb} {args.title!r} ({len(args.body.split())} words)"

    def apply(self, args: DocumentArgs, *, idempotency_key: str) -> dict:
        document = Document.objects.create(kind=self.kind, title=args.title, body=args.body, data=args.data)
        return {"document_id": document.pk, "kind": self.kind}


@register
class DraftBrief(_DocumentAction):
    key = "brief.draft"
    kind = DocumentKind.BRIEF
    verb = "Draft brief"


@register
class PublishReport(_DocumentAction):
    key = "report.publish"
    kind = DocumentKind.REPORT
    verb = "Publish report"
