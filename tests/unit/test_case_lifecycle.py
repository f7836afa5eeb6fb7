"""The case state machine, transition by transition: every action from every state, allowed
or refused, who may take it, 监管分离, rework rounds and resume. The expected table is written
out here by hand from the national model, not read from the code."""

from __future__ import annotations

import pytest

from cases.domain.lifecycle import (
    SYSTEM,
    Action,
    Actor,
    CaseFacts,
    CaseStatus,
    NotYourStep,
    TransitionNotAllowed,
    initial_status,
    plan,
)
from common.auth import Role

EXPECTED = {  # action: {from: to}
    "verify": {"reported": "verified"},
    "file": {"reported": "filed", "verified": "filed"},
    "reject": {"reported": "not_filed", "verified": "not_filed"},
    "flag": {"filed": "awaiting_command_centre"},
    "dispatch": {"filed": "dispatched", "awaiting_command_centre": "dispatched", "dispatched": "dispatched"},
    "return": {"dispatched": "awaiting_command_centre"},
    "handle": {"dispatched": "handled"},
    "check": {"handled": "closed"},
    "rework": {"handled": "dispatched"},
    "evaluate": {"closed": "evaluated"},
    "reopen": {"closed": "dispatched", "evaluated": "dispatched"},
    "suspend": {"filed": "suspended", "awaiting_command_centre": "suspended", "dispatched": "suspended"},
    "resume": {"suspended": "dispatched"},  # back to where it was suspended from (here: dispatched)
    "cancel": dict.fromkeys(
        ("reported", "verified", "filed", "awaiting_command_centre", "dispatched", "suspended"), "cancelled"
    ),
    "merge": dict.fromkeys(("reported", "verified", "filed", "awaiting_command_centre", "dispatched"), "merged"),
    "split": dict.fromkeys(("reported", "verified", "filed", "awaiting_command_centre", "dispatched"), "split"),
}
ACTOR = {
    "verify": Actor("monitor-1", Role.field_monitor),
    "file": Actor("d-1", Role.dispatcher),
    "reject": Actor("d-1", Role.dispatcher),
    "flag": Actor("system:dispatch", SYSTEM),
    "dispatch": Actor("system:dispatch", SYSTEM),
    "return": Actor("system:dispatch", SYSTEM),
    "handle": Actor("officer-1", Role.squad_officer, "sq-ruhe"),
    "check": Actor("monitor-2", Role.field_monitor),
    "rework": Actor("monitor-2", Role.field_monitor),
    "evaluate": Actor("system:intake", SYSTEM),
    "reopen": Actor("sup-1", Role.supervisor),
    "suspend": Actor("d-1", Role.dispatcher),
    "resume": Actor("leader-1", Role.squad_leader, "sq-ruhe"),
    "cancel": Actor("d-1", Role.dispatcher),
    "merge": Actor("d-1", Role.dispatcher),
    "split": Actor("d-1", Role.dispatcher),
}


def _case(status: str, **kw) -> CaseFacts:
    return CaseFacts(
        status=status,
        squad_id="sq-ruhe",
        handled_by=kw.get("handled_by", "officer-1"),
        suspended_from=kw.get("suspended_from", "dispatched"),
    )


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("status", [s.value for s in CaseStatus])
def test_every_action_from_every_state(action, status):
    expected = EXPECTED[action].get(status)
    if expected is None:
        with pytest.raises(TransitionNotAllowed, match=f"cannot {action} a case that is {status}"):
            plan(_case(status), Action(action), ACTOR[action], reason="why")
    else:
        assert plan(_case(status), Action(action), ACTOR[action], reason="why") == expected


def test_rework_loops_as_many_rounds_as_it_takes():
    status = "dispatched"
    for _ in range(3):
        status = plan(_case(status), Action.handle, ACTOR["handle"])
        assert status == "handled"
        status = plan(_case(status), Action.rework, ACTOR["rework"], reason="摊位仍在")
        assert status == "dispatched"
    status = plan(_case(plan(_case(status), Action.handle, ACTOR["handle"])), Action.check, ACTOR["check"])
    assert status == "closed"


def test_supervision_is_separate_from_handling():
    """监管分离: the person who handled a case cannot check it, even with the right role."""
    same_person = Actor("officer-1", Role.field_monitor)
    with pytest.raises(NotYourStep, match="监管分离"):
        plan(_case("handled", handled_by="officer-1"), Action.check, same_person)
    with pytest.raises(NotYourStep, match="监管分离"):
        plan(_case("handled", handled_by="officer-1"), Action.rework, same_person, reason="x")
    assert plan(_case("handled", handled_by="officer-1"), Action.check, Actor("monitor-9", Role.field_monitor))


def test_who_may_take_a_step():
    with pytest.raises(NotYourStep, match="not squad_officer"):
        plan(_case("handled"), Action.check, Actor("officer-2", Role.squad_officer, "sq-ruhe"))
    with pytest.raises(NotYourStep, match="not field_monitor"):
        plan(_case("reported"), Action.file, Actor("monitor-1", Role.field_monitor))
    with pytest.raises(NotYourStep, match="not with squad sq-xushui"):
        plan(_case("dispatched"), Action.handle, Actor("officer-3", Role.squad_officer, "sq-xushui"))
    with pytest.raises(NotYourStep):
        plan(_case("dispatched"), Action.dispatch, Actor("d-1", Role.dispatcher))  # dispatch service's event only
    assert plan(_case("reported"), Action.file, Actor("root", Role.admin)) == "filed"


def test_steps_that_need_a_reason():
    for action, status in (
        ("reject", "reported"),
        ("rework", "handled"),
        ("suspend", "dispatched"),
        ("cancel", "filed"),
        ("reopen", "closed"),
    ):
        with pytest.raises(ValueError, match=f"{action} needs a reason"):
            plan(_case(status, handled_by="x"), Action(action), ACTOR[action], reason="  ")


def test_resume_returns_to_the_state_it_was_suspended_from():
    for before in ("filed", "awaiting_command_centre", "dispatched"):
        suspended = plan(_case(before), Action.suspend, ACTOR["suspend"], reason="等待规划部门认定")
        assert suspended == "suspended"
        assert plan(_case(suspended, suspended_from=before), Action.resume, ACTOR["resume"]) == before


def test_which_reports_wait_for_verification():
    verify = frozenset({"web", "open311"})
    assert initial_status("web", verify) == "reported"
    assert initial_status("open311", verify) == "reported"
    assert initial_status("hotline_12319", verify) == "filed"
    assert initial_status("field_monitor", verify) == "filed"
