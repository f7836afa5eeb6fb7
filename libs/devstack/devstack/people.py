"""The demo district's staff who can sign in: one of each role, written once for the Keycloak
realm that `make up` imports and for the built-in demo sign-in of `make run`. Their ids are the
directory's (dispatch's seed), so what they do is theirs: a squad officer's check-in, a leader's
acceptance. The passwords are for the demo realm only; a bureau signs in against its own provider."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoPerson:
    username: str
    name: str
    role: str
    squad_id: str | None  # their unit: the squad, or for 办事处 staff the office
    password: str
    title: str  # what the sign-in page says they are


DEMO_PEOPLE = (
    DemoPerson("disp-0001", "孙晓梅", "dispatcher", None, "zy-dispatch-2026", "指挥中心派遣员"),
    DemoPerson("sq-ruhe-leader", "马超", "squad_leader", "sq-ruhe", "zy-ruhe-2026", "汝河中队 中队长"),
    DemoPerson("sq-ruhe-o1", "朱婷", "squad_officer", "sq-ruhe", "zy-ruhe-2026", "汝河中队 队员"),
    DemoPerson("sq-xushui-leader", "郑凯", "squad_leader", "sq-xushui", "zy-xushui-2026", "须水中队 中队长"),
    DemoPerson("sup-0001", "李国庆", "supervisor", None, "zy-supervise-2026", "督查室 督查员"),
    DemoPerson("op-0001", "王丽", "hotline_operator", None, "zy-hotline-2026", "12319 热线话务员"),
    DemoPerson("monitor-0001", "赵明", "field_monitor", None, "zy-monitor-2026", "数字化监督员"),
    DemoPerson("clerk-0001", "钱红", "ledger_clerk", None, "zy-ledger-2026", "台账管理员"),
    DemoPerson("office-ruhelu", "周敏", "office_staff", "of-ruhelu", "zy-office-2026", "汝河路街道办事处 城管科"),
    DemoPerson("legal-0001", "冯静", "legal_officer", None, "zy-legal-2026", "法制科 法制审核员"),
    DemoPerson("leader-0001", "韩立新", "bureau_leader", None, "zy-leader-2026", "分管副局长"),
    DemoPerson("admin", "系统管理员", "admin", None, "zy-admin-2026", "系统管理员"),
)
