"""违规遛犬 and 年检: violations against a licence (seen by an officer, or a closed 犬只扰民 case
naming the licence; the third in twelve months suspends it), and the tick that reminds owners of
inspections due and suspends the licences overdue."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, or_
from sqlmodel import col, select

from common.clock import BEIJING, bureau_date
from common.messaging.contracts import CaseClosed, DogInspectionDue, DogViolationRecorded
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from ledger.domain.dogs import (
    IN_FORCE,
    DogRefused,
    DogRules,
    InspectionState,
    LicenceStatus,
    ViolationKind,
    inspection_state,
    outside_walk_hours,
    violations_within_a_year,
)
from ledger.handlers.licences import DogConflict, history, licence_for_update, tell_changed
from ledger.tables import DogLicence, DogViolation

log = logging.getLogger(__name__)


async def record_violation(
    uow: UnitOfWork,
    licence: DogLicence,
    kind: ViolationKind,
    *,
    source: str,
    by: str,
    at: datetime,
    rules: DogRules,
    case_id: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    note: str | None = None,
) -> int:
    """A violation against the licence; the third within twelve months suspends it. Returns how
    many there are in the twelve months."""
    uow.session.add(
        DogViolation(
            licence_id=licence.id, kind=kind, source=source, case_id=case_id, lon=lon, lat=lat, note=note, by=by, at=at
        )
    )
    await uow.session.flush()
    moments = (
        (await uow.session.execute(select(DogViolation.at).where(DogViolation.licence_id == licence.id)))
        .scalars()
        .all()
    )
    count = violations_within_a_year(list(moments), max(at, uow.clock.now()))
    history(uow, licence.id, "violation", by, kind=kind.value, source=source, case_id=case_id, in_twelve_months=count)
    uow.publish(
        DogViolationRecorded(
            licence_id=licence.id,
            number=licence.number,
            kind=kind.value,
            source=source,
            case_id=case_id,
            grid_id=licence.grid_id,
            in_twelve_months=count,
            at=at,
        )
    )
    if count >= rules.violations_to_suspend and licence.status == LicenceStatus.active:
        licence.status, licence.status_reason = LicenceStatus.suspended, "violations"
        history(uow, licence.id, "suspended", "ledger", reason="violations", in_twelve_months=count)
        tell_changed(uow, licence, "suspended", "violations")
    return count


async def officer_violation(
    uow: UnitOfWork,
    licence_id: str,
    kind: ViolationKind,
    *,
    at: datetime,
    lon,
    lat,
    note: str | None,
    by: str,
    rules: DogRules,
) -> int:
    """违规遛犬 seen by an officer: no lead, outside the permitted hours (refused if it was within
    them), or in a no-dog place."""
    if kind not in (ViolationKind.no_lead, ViolationKind.outside_hours, ViolationKind.no_dog_place):
        raise DogRefused("kind", "an officer records no_lead, outside_hours or no_dog_place")
    if at > uow.clock.now():
        raise DogRefused("at", f"at {at.isoformat()} is in the future")
    local = at.astimezone(BEIJING).time()
    if kind == ViolationKind.outside_hours and not outside_walk_hours(local, rules):
        start, end = rules.walk_hours
        raise DogRefused("outside_hours", f"{local:%H:%M} is within the permitted hours {start:%H:%M}-{end:%H:%M}")
    licence = await licence_for_update(uow, licence_id)
    if licence.status not in IN_FORCE:
        raise DogConflict(f"licence {licence.number} is {licence.status}")
    count = await record_violation(
        uow, licence, kind, source="officer", by=by, at=at, rules=rules, lon=lon, lat=lat, note=note
    )
    await uow.commit()
    return count


async def violation_from_case(
    event: CaseClosed, env: Envelope, uow: UnitOfWork, *, rules: DogRules, categories: frozenset[str]
) -> None:
    """A closed 犬只扰民 / 违规遛犬 case that names a licence, closed as a violation, counts against it."""
    if event.dog_licence_id is None or event.outcome != "violation" or event.category_code not in categories:
        return
    licence = (
        await uow.session.exec(select(DogLicence).where(DogLicence.id == event.dog_licence_id).with_for_update())
    ).first()
    if licence is None:
        log.warning("case %s names dog licence %s, not in the register", event.case_id, event.dog_licence_id)
        return
    seen = (
        await uow.session.execute(
            select(DogViolation.id).where(DogViolation.case_id == event.case_id, DogViolation.licence_id == licence.id)
        )
    ).first()
    if seen is None:  # a case closed again after a rework counts once
        await record_violation(
            uow,
            licence,
            ViolationKind.nuisance,
            source="case",
            by=event.closed_by,
            at=event.closed_at,
            rules=rules,
            case_id=event.case_id,
        )


async def remind_and_suspend(uow: UnitOfWork, rules: DogRules, limit: int = 500) -> tuple[int, int]:
    """The tick: a reminder for each licence whose inspection falls due (once per due date), and
    the suspension of those overdue beyond the rule; commits. (reminded, suspended)."""
    today = bureau_date(uow.clock.now())
    horizon = today + timedelta(days=rules.inspection_notice_days)
    rows = (
        await uow.session.exec(
            select(DogLicence)
            .where(
                col(DogLicence.status).in_([LicenceStatus.active, LicenceStatus.suspended]),
                DogLicence.inspection_due_on <= horizon,
                or_(
                    col(DogLicence.reminded_for).is_(None),
                    col(DogLicence.reminded_for) != DogLicence.inspection_due_on,
                    and_(
                        col(DogLicence.status) == LicenceStatus.active,
                        col(DogLicence.inspection_due_on) < today - timedelta(days=rules.suspend_after_days),
                    ),
                ),
            )
            .order_by(col(DogLicence.inspection_due_on))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    reminded = suspended = 0
    for licence in rows:
        state = inspection_state(licence.inspection_due_on, today, rules)
        if licence.reminded_for != licence.inspection_due_on:
            licence.reminded_for = licence.inspection_due_on
            uow.publish(
                DogInspectionDue(
                    licence_id=licence.id, number=licence.number, due_on=licence.inspection_due_on, at=uow.clock.now()
                )
            )
            history(uow, licence.id, "reminded", "ledger", due_on=licence.inspection_due_on)
            reminded += 1
        if state == InspectionState.suspend and licence.status == LicenceStatus.active:
            licence.status, licence.status_reason = LicenceStatus.suspended, "inspection_overdue"
            history(
                uow, licence.id, "suspended", "ledger", reason="inspection_overdue", due_on=licence.inspection_due_on
            )
            tell_changed(uow, licence, "suspended", "inspection_overdue")
            suspended += 1
        uow.session.add(licence)
    await uow.commit()
    return reminded, suspended
