"""Personal data in free text, masked where it leaves the service that keeps it: phone numbers in
every event and every log line; licence plates and identity-card numbers too in what the public
reads (Open311 listings, the tracking page)."""

from __future__ import annotations

import re

# Mainland mobile numbers (11 digits from 13x to 19x) and landlines with an area code.
PHONE_PATTERN = re.compile(
    r"(?:\+?86[- ]?)?(?<!\d)1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"  # mobile, with or without +86
    r"|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"  # landline with area code
)
# 居民身份证号码 (GB 11643): 6 digits of region, the birth date, 3 digits, a check digit or X.
ID_NUMBER_PATTERN = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
# 机动车号牌 (GA 36): the province's character, the issuing office's letter, then 5 characters
# (6 for new-energy plates), the last one possibly 挂/学/警/港/澳.
PLATE_PATTERN = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][·\s]?"
    r"[A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳]"
)


def mask_phone(phone: str) -> str:
    """138****5678: how a caller's number is shown anywhere but intake's own store."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    return "****"


def mask_id_number(number: str) -> str:
    """410************23X: the region's first digits and the last four."""
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_name(name: str) -> str:
    """李**: the family name and a star for each other character, as a name is shown to those who
    need to know whose dog it is, not who it is."""
    name = name.strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def mask_plate(plate: str) -> str:
    """豫A****5."""
    compact = re.sub(r"[·\s]", "", plate)
    return compact[:2] + "*" * (len(compact) - 3) + compact[-1]


def redact_phones(text: str) -> str:
    return PHONE_PATTERN.sub(lambda m: mask_phone(m.group(0)), text)


def redact_private(text: str) -> str:
    """Phone numbers and identity-card numbers masked: every event and every log line."""
    return redact_phones(ID_NUMBER_PATTERN.sub(lambda m: mask_id_number(m.group(0)), text))


def redact_personal(text: str) -> str:
    """What the public reads: licence plates masked as well."""
    return PLATE_PATTERN.sub(lambda m: mask_plate(m.group(0)), redact_private(text))
