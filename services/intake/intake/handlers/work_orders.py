"""Work orders from upstream systems (12345, 110, the city platform) answered back: an order opens
with its incident, moves with its case's events, takes the command centre's requests and the
upstream system's reviews, and each step the bureau takes becomes a message in the link's outbox
(`UpstreamMessage`), numbered in order per order, with an id derived from what caused it (the same
event handled again makes the same id, and the insert is a no-op). The sender (`send_due`) tells
them to the upstream system in that order, retrying with backoff, and dead-letters after a limit;
a dead message holds its order's later ones until the command centre sends it again."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from common.messaging.contracts import (
    CaseDispatched,
    CaseOpened,
    CaseTransitioned,
    EnforcementStepRecorded,
    WorkOrderChanged,
    WorkOrderExtended,
    WorkOrderReturned,
)
from common.messaging.envelope import Envelope
from common.refusals import NotFound, Refused
from common.uow import UnitOfWork
from common.vocabulary import RATING_NAMES, CaseAction, CaseStatus
from common.workcalendar import WorkCalendar
from intake.adapters.upstream import Upstream
from intake.domain.work_orders import (
    OUTCOME_TEXT,
    PROCESSES_FROM,
    REPLIES_FROM,
    RESULT_NAMES,
    RESULT_OF_OUTCOME,
    SIGNS_FROM,
    STATE_NAMES,
    OrderRefused,
    OrderState,
    Result,
    Step,
    after_rating,
    may_request_extension,
    may_request_return,
)
from intake.tables import UpstreamMessage, WorkOrder

log = logging.getLogger(__name__)
IDS = uuid.UUID("6f1d3c2e-12a4-4b35-9e0c-7d2a1b345678")
"""The namespace of the messages' stable ids."""


@dataclass
class Link:
    """The upstream systems the bureau answers back (IntakeSettings.upstreams) and the calendar their
    limits are counted on."""

    upstreams: list[Upstream] = field(default_factory=list)
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    def for_channel(self, channel: str) -> Upstream | None:
        return next((u for u in self.upstreams if channel in u.channels), None)

    def named(self, name: str) -> Upstream | None:
        return next((u for u in self.upstreams if u.name == name), None)

    def working_days(self, start: datetime, days: float) -> datetime:
        per_day = sum(
            (datetime.combine(start.date(), e) - datetime.combine(start.date(), b)).total_seconds() / 3600
            for b, e in self.calendar.periods
        )
        return self.calendar.add_working_hours(start, days * per_day)

    def new_order(
        self,
        incident_id: str,
        channel: str,
        reference: str | None,
        kind: str,
        origin: str | None,
        now: datetime,
        deadline: datetime | None = None,
    ) -> WorkOrder | None:
        """The order an incident opens, when it came from a linked system with its reference; its
        办结 limit is the order's own deadline when it came with one, else the system's limit."""
        up = self.for_channel(channel)
        if up is None or not reference:
            return None
        limits = up.limits.get(kind) or next(iter(up.limits.values()))
        return WorkOrder(
            incident_id=incident_id,
            system=up.name,
            source_reference=reference,
            kind=kind,
            origin=origin,
            state=OrderState.awaiting_sign,
            received_at=now,
            sign_due_at=self.working_days(now, limits.sign_days),
            finish_due_at=deadline or self.working_days(now, limits.finish_days),
            return_due_at=self.working_days(now, limits.return_days),
            updated_at=now,
        )


def tell(uow: UnitOfWork, order: WorkOrder, step: Step, cause: str, when: datetime, **payload: Any) -> None:
    """One message to the upstream system, next in the order's sequence; `cause` (the event or
    request that made it) makes its id, so the same cause never makes two."""
    order.last_seq += 1
    changed(uow, order, when)
    payload = {
        "state": order.state,
        "state_name": STATE_NAMES[OrderState(order.state)],
        "at": when.isoformat(),
        **payload,
    }
    uow.session.add(
        UpstreamMessage(
            id=str(uuid.uuid5(IDS, f"{order.incident_id}:{step}:{cause}")),
            incident_id=order.incident_id,
            system=order.system,
            source_reference=order.source_reference,
            seq=order.last_seq,
            step=step,
            payload=payload,
            next_attempt_at=when,
            created_at=when,
        )
    )


def changed(uow: UnitOfWork, order: WorkOrder, at: datetime) -> None:
    """The order as it now stands, for reporting (the hotline centres' figures)."""
    order.updated_at = at
    uow.session.add(order)
    uow.publish(
        WorkOrderChanged(
            incident_id=order.incident_id,
            system=order.system,
            kind=order.kind,
            origin=order.origin,
            state=order.state,
            case_id=order.case_id,
            squad_id=order.squad_id,
            received_at=order.received_at,
            sign_due_at=order.sign_due_at,
            signed_at=order.signed_at,
            finish_due_at=order.finish_due_at,
            replied_at=order.replied_at,
            result=order.result,
            returned=order.returned,
            redo_count=order.redo_count,
            satisfaction=order.satisfaction,
            enforcement=bool(order.details.get("enforcement")),
            at=at,
        )
    )


async def orders_for_update(uow: UnitOfWork, incident_ids: list[str]) -> dict[str, WorkOrder]:
    if not incident_ids:
        return {}
    rows = await uow.session.exec(
        select(WorkOrder).where(col(WorkOrder.incident_id).in_(incident_ids)).with_for_update()
    )
    return {o.incident_id: o for o in rows.all()}


async def order_for_update(uow: UnitOfWork, incident_id: str) -> WorkOrder:
    order = (await orders_for_update(uow, [incident_id])).get(incident_id)
    if order is None:
        raise NotFound(f"incident {incident_id} is no upstream work order")
    return order


# -- the case's events --------------------------------------------------------------------------------


def _sign(uow: UnitOfWork, order: WorkOrder, cause: str, at: datetime, case_id: str) -> None:
    if order.state in SIGNS_FROM:
        order.state, order.signed_at, order.case_id = OrderState.signed, at, case_id
        tell(uow, order, Step.sign, cause, at, case_id=case_id, on_time=at <= order.sign_due_at)


async def on_opened(batch: list[Envelope[CaseOpened]], uow: UnitOfWork) -> None:
    """签收: the bureau took the order on when it filed its case (立案: at once, or after 核实)."""
    filed = [e for e in batch if e.data.status == CaseStatus.filed and e.data.parent_case_id is None]
    orders = await orders_for_update(uow, [e.data.incident_id for e in filed])
    for e in filed:
        if (order := orders.get(e.data.incident_id)) is not None:
            _sign(uow, order, e.id, e.data.opened_at, e.data.case_id)


async def on_dispatched(batch: list[Envelope[CaseDispatched]], uow: UnitOfWork) -> None:
    """办理中: the squad that handles it."""
    orders = await orders_for_update(uow, [e.data.incident_id for e in batch])
    for e in batch:
        order = orders.get(e.data.incident_id)
        if order is None:
            continue
        _sign(uow, order, e.id, e.data.dispatched_at, e.data.case_id)
        if order.state in PROCESSES_FROM:
            order.state, order.squad_id = OrderState.in_progress, e.data.squad_id
            order.details = {**order.details, "unit": e.data.squad_name}
            tell(uow, order, Step.process, e.id, e.data.dispatched_at, unit=e.data.squad_name)


async def on_transitioned(event: CaseTransitioned, env: Envelope, uow: UnitOfWork) -> None:
    """处置 keeps the result and the after-photos; 核查 closing the case, 不予立案 or 撤销 is the reply;
    a reopening by a supervisor puts the order back in hand; 立案 after 核实 is the 签收."""
    orders = await orders_for_update(uow, [event.incident_id])
    order = orders.get(event.incident_id)
    if order is None:
        return
    if event.action == CaseAction.file:
        _sign(uow, order, env.id, event.at, event.case_id)
    elif event.action == CaseAction.handle:
        after = [p for p in event.details.get("photos", []) if p.get("kind") == "after"]
        order.details = {
            **order.details,
            "outcome": event.details.get("outcome"),
            "note": event.details.get("note"),
            "handled_by": event.actor,
            "photos": [
                {"sha256": p["sha256"], "url": f"/v1/cases/{event.case_id}/photos/{p['sha256']}"} for p in after
            ],
        }
        uow.session.add(order)
    elif event.to_status == CaseStatus.closed and order.state in REPLIES_FROM:
        drafted = order.details.get("draft")  # the command centre's own words, when it wrote them
        outcome = order.details.get("outcome") or "resolved"
        result = Result(drafted["result"]) if drafted else RESULT_OF_OUTCOME.get(outcome, Result.resolved)
        text = (
            drafted["text"]
            if drafted
            else OUTCOME_TEXT.get(outcome, "已处置完毕")
            + (f": {order.details['note']}" if order.details.get("note") else "")
        )
        _reply(uow, order, env.id, event.at, result, text)
    elif event.to_status in (CaseStatus.not_filed, CaseStatus.cancelled) and order.state in REPLIES_FROM:
        _reply(uow, order, env.id, event.at, Result.declined, event.reason or "不予立案")
    elif event.action == CaseAction.reopen and order.state in (OrderState.replied, OrderState.archived):
        order.state = OrderState.redo
        order.redo_count += 1
        changed(uow, order, event.at)


def _reply(uow: UnitOfWork, order: WorkOrder, cause: str, at: datetime, result: Result, text: str) -> None:
    order.state, order.replied_at, order.result = OrderState.replied, at, result
    tell(
        uow,
        order,
        Step.reply,
        cause,
        at,
        result=result,
        result_name=RESULT_NAMES[result],
        text=text,
        by=order.details.get("handled_by"),
        unit=order.details.get("unit"),
        photos=order.details.get("photos", []),
        on_time=at <= order.finish_due_at,
    )


async def on_enforcement(event: EnforcementStepRecorded, env: Envelope, uow: UnitOfWork) -> None:
    """执法办案: an order whose case went into the penalty track is marked (Guangdong's rule: its
    satisfaction is not its only measure)."""
    order = (await orders_for_case(uow, event.case_id)) if event.case_id else None
    if order is not None and not order.details.get("enforcement"):
        order.details = {**order.details, "enforcement": True}
        changed(uow, order, event.at)


async def orders_for_case(uow: UnitOfWork, case_id: str) -> WorkOrder | None:
    return (await uow.session.exec(select(WorkOrder).where(WorkOrder.case_id == case_id).with_for_update())).first()


# -- the command centre's requests, the upstream system's answers --------------------------------------


async def request_extension(uow: UnitOfWork, incident_id: str, until: datetime, reason: str, actor: str) -> WorkOrder:
    order = await order_for_update(uow, incident_id)
    may_request_extension(order.state, order.extension_pending, until, order.finish_due_at)
    now = uow.clock.now()
    order.extension_pending = True
    asked = {"until": until.isoformat(), "reason": reason, "by": actor, "at": now.isoformat()}
    order.details = {**order.details, "extensions": [*order.details.get("extensions", []), {"asked": asked}]}
    tell(uow, order, Step.extension_request, f"ext-{len(order.details['extensions'])}", now, **asked)
    await uow.commit()
    return order


async def request_return(
    uow: UnitOfWork, incident_id: str, reason: str, basis: str, suggestion: str, actor: str
) -> WorkOrder:
    order = await order_for_update(uow, incident_id)
    now = uow.clock.now()
    may_request_return(order.state, now, order.return_due_at)
    asked = {"reason": reason, "basis": basis, "suggestion": suggestion, "by": actor, "at": now.isoformat()}
    order.details = {**order.details, "return": {"asked": asked, "from_state": order.state}}
    order.state, order.returned = OrderState.return_requested, True
    tell(uow, order, Step.return_request, "return", now, **asked)
    await uow.commit()
    return order


async def draft_reply(uow: UnitOfWork, incident_id: str, result: str, text: str, actor: str) -> WorkOrder:
    """The reply the command centre writes before the case closes: its 办理结果 (部分解决 or 未解决
    when the squad could not fully resolve it) and its words, sent when the case closes in place of
    the result the case's outcome gives."""
    order = await order_for_update(uow, incident_id)
    if order.state not in REPLIES_FROM:
        raise OrderRefused(f"the order is {STATE_NAMES[OrderState(order.state)]}: its reply is no longer open")
    now = uow.clock.now()
    order.details = {
        **order.details,
        "draft": {"result": Result(result).value, "text": text, "by": actor, "at": now.isoformat()},
    }
    changed(uow, order, now)
    await uow.commit()
    return order


class NotYourOrder(Refused):
    """A partner system answers only for the orders that came from it."""


def check_owner(order: WorkOrder, link: Link, subject: str) -> Upstream:
    up = link.named(order.system)
    if up is None or up.client != subject:
        raise NotYourOrder(f"work order of incident {order.incident_id} came from {order.system}, not from {subject}")
    return up


async def review_extension(
    uow: UnitOfWork,
    link: Link,
    incident_id: str,
    subject: str,
    approved: bool,
    until: datetime | None,
    note: str,
    reviewer: str,
) -> WorkOrder:
    order = await order_for_update(uow, incident_id)
    check_owner(order, link, subject)
    if not order.extension_pending:
        raise OrderRefused("no extension request of the bureau is waiting for an answer")
    now = uow.clock.now()
    extensions = list(order.details.get("extensions", []))
    granted = until or datetime.fromisoformat(extensions[-1]["asked"]["until"])
    review = {
        "approved": approved,
        "until": granted.isoformat() if approved else None,
        "note": note,
        "by": reviewer,
        "at": now.isoformat(),
    }
    extensions[-1] = {**extensions[-1], "review": review}
    order.details = {**order.details, "extensions": extensions}
    order.extension_pending = False
    if approved:
        order.finish_due_at = granted
        uow.publish(
            WorkOrderExtended(
                incident_id=order.incident_id,
                case_id=order.case_id,
                system=order.system,
                source_reference=order.source_reference,
                until=granted,
                at=now,
            )
        )
    changed(uow, order, now)
    await uow.commit()
    return order


async def review_return(
    uow: UnitOfWork, link: Link, incident_id: str, subject: str, approved: bool, note: str, reviewer: str
) -> WorkOrder:
    order = await order_for_update(uow, incident_id)
    check_owner(order, link, subject)
    if order.state != OrderState.return_requested:
        raise OrderRefused(f"the order is {STATE_NAMES[OrderState(order.state)]}: no 申请退回 waits for an answer")
    now = uow.clock.now()
    asked = order.details["return"]
    review = {"approved": approved, "note": note, "by": reviewer, "at": now.isoformat()}
    order.details = {**order.details, "return": {**asked, "review": review}}
    if approved:
        order.state = OrderState.returned
        uow.publish(
            WorkOrderReturned(
                incident_id=order.incident_id,
                case_id=order.case_id,
                system=order.system,
                source_reference=order.source_reference,
                reason=f"{order.system} 同意退回: {asked['asked']['reason']}" + (f" ({note})" if note else ""),
                at=now,
            )
        )
    else:
        order.state = asked["from_state"]  # refused: it stays with the bureau, where it was
    changed(uow, order, now)
    await uow.commit()
    return order


def visited(order: WorkOrder, up: Upstream, given: str, at: datetime) -> str:
    """回访 on the upstream system's own scale, as ours; the order archived or done again (重办)."""
    rating = up.satisfaction.get(given)
    if rating is None:
        raise OrderRefused(f"{given!r} is not on {up.name}'s satisfaction scale: one of {sorted(up.satisfaction)}")
    if order.state != OrderState.replied:
        raise OrderRefused(f"the order is {STATE_NAMES[OrderState(order.state)]}: 回访 follows a reply (已答复)")
    order.satisfaction, order.satisfaction_given = rating, given
    order.state = after_rating(rating)
    if order.state == OrderState.redo:
        order.redo_count += 1
    log.info("work order %s 回访: %s", order.source_reference, RATING_NAMES[rating])
    return rating
