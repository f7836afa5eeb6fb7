"""Who may see what, beyond a route's roles: the platform's object-level rules written once, for
every service that holds the thing (intake's and cases' photos alike).

- Photos. The copy shown of a photo a citizen sent with a public report is public. Any other
  photo's shown copy (upright, without metadata) is for staff who work the incident: the
  hotline, field monitors, the command centre, supervisors, and squad members of the squad
  that has it. The original, which keeps its GPS position and camera data, is evidence: the same
  people but the hotline. External systems (12345, the city platform, the court) see public
  photos only; the API never hands them a signed link to another.
- Contact details (a caller's name, an Open311 reporter's name): the hotline, which took the
  call, and the command centre (指挥中心), which may have to call back. A phone number is shown
  masked even to them.
- The merchant register: a merchant's phone number is the ledger's; the clerks who keep the
  register and the supervisors see it whole, everyone else masked. A hardship household's
  record (困难户档案) is for the same two roles; officers see only that the party is a 帮扶对象.
  A squad's people see the merchants of their own squad's area."""
from __future__ import annotations

from common.auth import Principal, Role

PHOTO_VIEWERS = frozenset({Role.hotline_operator, Role.field_monitor, Role.dispatcher, Role.squad_officer,
                           Role.squad_leader, Role.supervisor, Role.admin})
EVIDENCE_VIEWERS = PHOTO_VIEWERS - {Role.hotline_operator}
CONTACT_VIEWERS = frozenset({Role.hotline_operator, Role.dispatcher})


def sees_photo(principal: Principal | None, *, public: bool, squad_id: str | None) -> bool:
    """The copy shown of a photo that belongs to an incident or case now with `squad_id`."""
    if public:
        return True
    return principal is not None and principal.role in PHOTO_VIEWERS and principal.sees_squad(squad_id)


def sees_evidence(principal: Principal | None, *, squad_id: str | None) -> bool:
    """The original as received, with its metadata."""
    return principal is not None and principal.role in EVIDENCE_VIEWERS and principal.sees_squad(squad_id)


def sees_contacts(principal: Principal | None) -> bool:
    return principal is not None and principal.role in CONTACT_VIEWERS


REGISTER_KEEPERS = frozenset({Role.ledger_clerk, Role.supervisor, Role.admin})


def sees_merchant_phone(principal: Principal | None) -> bool:
    return principal is not None and principal.role in REGISTER_KEEPERS


def sees_hardship(principal: Principal | None) -> bool:
    return principal is not None and principal.role in {Role.ledger_clerk, Role.supervisor}
