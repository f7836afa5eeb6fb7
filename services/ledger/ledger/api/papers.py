"""The merchant's printed papers: the card (告知卡, with the QR code of its public page) and the
门前三包 letter, as PDFs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from common.audiences import RegisterReader
from ledger.adapters.documents import CardFacts, LetterFacts, render_card, render_letter
from ledger.api.deps import ServiceDep, not_found, visible_merchant
from ledger.domain.colour import Colour
from ledger.domain.letters import DEFAULT_AREA
from ledger.queries import merchants as mq
from ledger.queries.frontage import letter_of

router = APIRouter(tags=["ledger 台账"])


def public_url(request: Request, service, code: str) -> str:
    base = service.settings.public_base_url or str(request.base_url)
    return f"{base.rstrip('/')}/m/{code}"


PDF = {200: {"content": {"application/pdf": {}}}}


@router.get(
    "/v1/merchants/{merchant_id}/card.pdf",
    response_class=Response,
    responses=PDF,
    summary="告知卡: the card in force, A6, with the QR code of its public page",
)
async def card_pdf(merchant_id: str, request: Request, principal: RegisterReader, service: ServiceDep):
    m = await visible_merchant(service, merchant_id, principal)
    async with service.session_factory() as session:
        grid = await mq.grid(session, m.grid_id)
        card = await mq.card(session, m.card_code)
    if card is None:
        raise not_found(f"a card of merchant {merchant_id}")
    pdf = render_card(
        CardFacts(
            bureau=service.settings.bureau_name,
            name=m.name,
            sign=m.sign,
            address=m.address,
            grid_name=grid.name if grid else None,
            colour=Colour.named(card.colour),
            card_code=card.code,
            issued_at=card.issued_at,
            public_url=public_url(request, service, card.code),
        )
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="card-{card.code}.pdf"', "Cache-Control": "no-store"},
    )


@router.get(
    "/v1/merchants/{merchant_id}/letter.pdf",
    response_class=Response,
    responses=PDF,
    summary="门前三包责任书 filled in for printing: the letter in force, or a new one to sign",
)
async def letter_pdf(
    merchant_id: str,
    principal: RegisterReader,
    service: ServiceDep,
    office: Annotated[str | None, Query(max_length=100, description="the other party, for a new letter")] = None,
):
    m = await visible_merchant(service, merchant_id, principal)
    async with service.session_factory() as session:
        letter = await letter_of(session, m.id)
    bureau = service.settings.bureau_name
    pdf = render_letter(
        LetterFacts(
            bureau=bureau,
            office=office or (letter.office if letter else bureau),
            name=m.name,
            operator=m.operator,
            address=m.address,
            area=letter.area if letter else DEFAULT_AREA,
            signed_on=letter.signed_on if letter and not office else None,
            valid_until=letter.valid_until if letter and not office else None,
        )
    )
    return Response(pdf, media_type="application/pdf", headers={"Cache-Control": "no-store"})
