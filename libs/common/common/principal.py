"""Who is calling: a role of the platform and, for squad members, their squad (for an office's
staff, their office). Plain Python (no framework), so a domain rule can speak of roles;
`common.auth` reads them from tokens and sessions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    hotline_operator = "hotline_operator"  # 12319 热线话务员
    field_monitor = "field_monitor"  # 数字化监督员
    dispatcher = "dispatcher"  # 指挥中心派遣员
    squad_officer = "squad_officer"  # 中队队员
    squad_leader = "squad_leader"  # 中队长
    supervisor = "supervisor"  # 督查
    ledger_clerk = "ledger_clerk"  # 台账管理员
    admin = "admin"
    external_system = "external_system"  # 市级平台, 12345, 110, 法院
    office_staff = "office_staff"  # 街道办事处: an office's staff, who see its area (its grids)
    legal_officer = "legal_officer"  # 法制审核员: the bureau's legal section (法制科), keeps the 权责清单
    bureau_leader = "bureau_leader"  # 局领导: 负责人审批 and the 集体讨论 of penalty decisions


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    squad_id: str | None = None
    """The person's unit: their squad, or for 办事处 staff their office (a unit of the directory)."""
    scopes: frozenset[str] = frozenset()
    """What a program's client was given on purpose beyond its role (OAuth 2.0 `scope`), e.g.
    `dog-owner-contact` for the SMS gateway alone among the partner systems."""

    @property
    def is_squad_member(self) -> bool:
        return self.role in (Role.squad_officer, Role.squad_leader)

    # The object-level rule, in one place: a squad member sees only what is with the squad.
    def sees_squad(self, squad_id: str | None) -> bool:
        return not self.is_squad_member or (self.squad_id is not None and squad_id == self.squad_id)

    @property
    def office_id(self) -> str | None:
        """The office (办事处) whose area a person of an office sees, or None for everyone else."""
        return (self.squad_id or "") if self.role == Role.office_staff else None

    @property
    def squad_scope(self) -> str | None:
        """The squad a listing must be limited to, or None for everyone else ("" when a squad
        member's token names no squad, which matches nothing)."""
        return (self.squad_id or "") if self.is_squad_member else None
