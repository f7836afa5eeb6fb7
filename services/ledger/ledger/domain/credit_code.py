"""统一社会信用代码 (unified social credit code), GB 32100-2015: 18 characters from a set of 31
(the digits and the capitals without I, O, S, V, Z): position 1 the registering authority,
2 the kind of organisation, 3-8 the administrative division (digits), 9-17 the organisation
code, 18 a check character computed from the first 17."""

from __future__ import annotations

from common.refusals import Unprocessable

CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUE = {c: i for i, c in enumerate(CHARS)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
"""3^(i-1) mod 31 for positions 1 to 17."""
AUTHORITIES = "123456789ANY"
"""Position 1: 1 机构编制, 5 民政, 9 工商 (market regulation), Y 其他, ... as GB 32100 assigns them."""


class CreditCodeInvalid(Unprocessable):
    """Names the position that fails (1-based), as the clerk counts along the licence."""

    def __init__(self, position: int | None, message: str) -> None:
        super().__init__(
            message,
            detail=[{"loc": ["body", "credit_code"], "msg": message, "type": "credit_code", "position": position}],
        )
        self.position = position


def check_character(first17: str) -> str:
    total = sum(VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=False))
    return CHARS[(31 - total % 31) % 31]


def check_credit_code(code: str) -> str:
    """The code, upper-cased and without spaces, once it holds; else CreditCodeInvalid."""
    value = code.strip().replace(" ", "").upper()
    if len(value) != 18:
        raise CreditCodeInvalid(None, f"a 统一社会信用代码 has 18 characters; {value!r} has {len(value)}")
    for i, c in enumerate(value, start=1):
        if c not in VALUE:
            raise CreditCodeInvalid(
                i, f"position {i}: {c!r} is not a character of the code (digits and capitals, never I, O, S, V or Z)"
            )
    if value[0] not in AUTHORITIES:
        raise CreditCodeInvalid(
            1, f"position 1: {value[0]!r} is not a registering authority's code ({', '.join(AUTHORITIES)})"
        )
    for i in range(2, 8):
        if not value[i].isdigit():
            raise CreditCodeInvalid(
                i + 1,
                f"position {i + 1}: {value[i]!r} is not a digit (positions 3-8 are the administrative division code)",
            )
    expected = check_character(value[:17])
    if value[17] != expected:
        raise CreditCodeInvalid(
            18, f"position 18: the check character is {value[17]!r}, but the first 17 characters give {expected!r}"
        )
    return value
