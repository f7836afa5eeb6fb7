"""Who a token or a sign-in says the person is, read from the identity provider's claims through a
mapping that settings alone adapt to a city's own provider (AuthSettings, AUTH_*):

| setting | default | Keycloak realm of `make up` | what it reads |
|---|---|---|---|
| `AUTH_SUBJECT_CLAIM` | `sub` | `preferred_username` | the person's id, as the directory knows it |
| `AUTH_ROLE_CLAIM` | `role` | `realm_access.roles` | the role: a string, or a list of which one is ours |
| `AUTH_ROLE_PREFIX` | (none) | (none) | stripped from each value first (`cgzf-dispatcher`) |
| `AUTH_SQUAD_CLAIM` | `squad_id` | `groups` | the squad: a string, or a list |
| `AUTH_SQUAD_PREFIX` | (none) | `/squads/` | a list value is a squad when it starts with this |
| `AUTH_OFFICE_PREFIX` | (none) | `/offices/` | for 办事处 staff: the same claim's value that is their office |
| `AUTH_NAME_CLAIM` | `name` | `given_name` | the name shown |

A dotted path reads into nested objects (`realm_access.roles`). Of a list of roles, the one of
highest precedence among ours counts (`ROLE_PRECEDENCE`). A person with no role of ours, or a
squad role and no squad, is refused, with why. The platform's own development tokens (`make
token`, the demo sign-in) always use the built-in names."""

from __future__ import annotations

from typing import Any

from common.auth import Principal, Role
from common.settings import AuthSettings

ROLE_PRECEDENCE = (
    Role.admin,
    Role.bureau_leader,
    Role.legal_officer,
    Role.supervisor,
    Role.dispatcher,
    Role.squad_leader,
    Role.squad_officer,
    Role.office_staff,
    Role.field_monitor,
    Role.hotline_operator,
    Role.ledger_clerk,
    Role.external_system,
)
BUILTIN = {
    "subject_claim": "sub",
    "role_claim": "role",
    "role_prefix": "",
    "squad_claim": "squad_id",
    "squad_prefix": "",
    "office_prefix": "",
    "name_claim": "name",
}


class ClaimsRefused(Exception):
    """The claims do not make a person this platform knows: why, naming the claim (for a program),
    and `page`, the same in Chinese for the person the sign-in page tells."""

    def __init__(self, message: str, page: str) -> None:
        super().__init__(message)
        self.page = page


def read(claims: dict[str, Any], path: str) -> Any:
    """The claim at `path`: a name (which may itself hold a dot), or a dotted path into objects."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return []


def principal_from_claims(
    claims: dict[str, Any], settings: AuthSettings, *, builtin: bool = False
) -> tuple[Principal, str]:
    """(the principal, the name to show); raises ClaimsRefused."""
    mapping = BUILTIN if builtin else {k: getattr(settings, k) for k in BUILTIN}
    subject = read(claims, mapping["subject_claim"]) or claims.get("sub")
    if not subject:
        raise ClaimsRefused(f"no subject (claim {mapping['subject_claim']})", "身份凭证中没有用户标识。")
    prefix = mapping["role_prefix"] or ""
    ours = {r.value: r for r in Role}
    roles = [
        ours[v[len(prefix) :]]
        for v in _values(read(claims, mapping["role_claim"]))
        if v.startswith(prefix) and v[len(prefix) :] in ours
    ]
    if not roles:
        raise ClaimsRefused(
            f"no role of this platform (claim {mapping['role_claim']})",
            "您的账号在本平台没有角色 (如 派遣员、中队长、队员、督查)。请联系系统管理员在统一身份认证中为您分配角色。",
        )
    role = min(roles, key=ROLE_PRECEDENCE.index)
    squad_prefix = mapping["office_prefix" if role == Role.office_staff else "squad_prefix"] or ""
    squads = [
        v[len(squad_prefix) :]
        for v in _values(read(claims, mapping["squad_claim"]))
        if v.startswith(squad_prefix) and len(v) > len(squad_prefix)
    ]
    scope = claims.get("scope")
    principal = Principal(
        subject=str(subject),
        role=role,
        squad_id=squads[0] if squads else None,
        scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
    )
    if role == Role.office_staff and principal.squad_id is None:
        raise ClaimsRefused(
            f"an office_staff token must name the office (claim {mapping['squad_claim']})",
            "您的角色是街道办事处人员, 但账号未归属任何办事处。请联系系统管理员在统一身份认证中设置您所在的办事处。",
        )
    if principal.is_squad_member and principal.squad_id is None:
        raise ClaimsRefused(
            f"a {role.value} token must name the squad (claim {mapping['squad_claim']})",
            "您的角色是中队成员, 但账号未归属任何中队。请联系系统管理员在统一身份认证中设置您所在的中队。",
        )
    name = read(claims, mapping["name_claim"]) or claims.get("name") or str(subject)
    return principal, str(name)
