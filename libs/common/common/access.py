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
  A squad's people see the merchants of their own squad's area; in a list, everyone but the
  keepers reads the operator's name masked (李**): a list is for finding the shop, the record for
  the one shop.
- The dog register: only its keepers (clerks, supervisors) list it and read an owner's
  particulars. Everyone else who needs a licence (squads, the command centre, the partner
  systems: the smart tags' platform, the capture's scanner) finds one at a time by chip, tag or
  number and reads the licence, the dog and the owner's name masked, never the address, position,
  "lives alone" or identity number; a squad only what its own grids hold. An owner's phone is read
  by the clerks, and by a program whose client was given the `dog-owner-contact` scope on purpose
  (the SMS gateway), never by the partner role as such."""

from __future__ import annotations

from common.auth import Principal, Role

PHOTO_VIEWERS = frozenset(
    {
        Role.hotline_operator,
        Role.field_monitor,
        Role.dispatcher,
        Role.squad_officer,
        Role.squad_leader,
        Role.supervisor,
        Role.admin,
    }
)
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


DOG_OWNER_CONTACT = "dog-owner-contact"
"""The scope a partner system's client needs to read a dog owner's phone (the SMS gateway)."""

DEVICE_VENDOR = "device-vendor"
"""The scope a device vendor's platform needs to send its devices' readings (POST /v1/telemetry)."""


def keeps_register(principal: Principal | None) -> bool:
    """Lists a register whole and reads its people's particulars: the clerks, supervisors, admin."""
    return principal is not None and principal.role in REGISTER_KEEPERS


def sees_merchant_phone(principal: Principal | None) -> bool:
    return principal is not None and principal.role in REGISTER_KEEPERS


def sees_hardship(principal: Principal | None) -> bool:
    return principal is not None and principal.role in {Role.ledger_clerk, Role.supervisor}
