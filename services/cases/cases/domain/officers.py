"""Certified officers (执法人员): who may be named in an investigation step, framework-free.

行政处罚法 art. 42 and 住建部令第55号: an investigation or inspection is made by at least two
officers holding an enforcement certificate (执法证) that is in force, who show it. An officer whose
certificate has lapsed, or who has none in the directory, cannot be named."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from common.refusals import Unprocessable

PRESENT = 2
"""Officers present at an investigation step (art. 42: 不得少于两人)."""


@dataclass(frozen=True)
class Officer:
    id: str
    name: str
    squad_id: str | None
    certificate_number: str | None
    certificate_valid_until: date | None
    legal_qualified: bool = False

    def certified_on(self, day: date) -> bool:
        return (
            self.certificate_number is not None
            and self.certificate_valid_until is not None
            and self.certificate_valid_until >= day
        )


def check_certified(
    found: Sequence[Officer | None], named: Sequence[str], on: date, least: int = PRESENT
) -> list[Officer]:
    """The officers named (ids, in order; `found` the directory's record of each, None when it has
    none): at least `least` different people, each with a certificate in force on `on`. Answers
    them in the order named, as the records list them."""
    distinct = list(dict.fromkeys(named))
    if len(distinct) < least:
        raise Unprocessable.field(
            "officers", f"name at least {least} different certified officers present (执法人员不得少于两人)"
        )
    by_id = {o.id: o for o in found if o is not None}
    for officer_id in distinct:
        officer = by_id.get(officer_id)
        if officer is None:
            raise Unprocessable.field("officers", f"{officer_id} is not a person of the directory")
        if officer.certificate_number is None or officer.certificate_valid_until is None:
            raise Unprocessable.field("officers", f"{officer.name} ({officer_id}) holds no 执法证 in the directory")
        if not officer.certified_on(on):
            raise Unprocessable.field(
                "officers",
                f"{officer.name} ({officer_id})'s 执法证 {officer.certificate_number} lapsed on "
                f"{officer.certificate_valid_until.isoformat()}",
            )
    return [by_id[i] for i in distinct]
