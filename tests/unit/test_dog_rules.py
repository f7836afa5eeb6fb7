"""The dog register's rules at their edges: the day a dog is exactly three months old, the day a
vaccination lapses, a key zone's boundary, the size classes, the inspection's notice and
suspension days, the twelve months of violations, the walking hours, the chip and the
identity-card number; and the vault that keeps the identity-card numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from ledger.adapters.identity import IdentityVault
from ledger.domain.dogs import (
    DogRefused,
    DogRules,
    InspectionState,
    KeyZone,
    Size,
    id_number,
    inspection_state,
    microchip,
    next_inspection,
    old_enough,
    outside_walk_hours,
    rabies_valid,
    rabies_valid_until,
    refuse_breed,
    refuse_in_zone,
    size_of,
    violations_within_a_year,
    zone_of,
    zones_from,
)

RULES = DogRules(banned_breeds=frozenset({"藏獒", "比特犬"}))


def test_a_dog_registers_from_exactly_three_months():
    born = date(2026, 8, 31)
    old_enough(born, date(2026, 11, 30), RULES)  # 30 November: the 31st does not exist, its last day counts
    with pytest.raises(DogRefused) as refused:
        old_enough(born, date(2026, 11, 29), RULES)
    assert refused.value.rule == "too_young" and "2026-11-30" in str(refused.value)
    old_enough(date(2026, 8, 15), date(2026, 11, 15), RULES)
    with pytest.raises(DogRefused, match="future"):
        old_enough(date(2027, 1, 1), date(2026, 11, 30), RULES)


def test_a_vaccination_is_valid_until_the_day_it_lapses():
    vaccinated = date(2025, 12, 1)
    assert rabies_valid_until(vaccinated, RULES) == date(2026, 12, 1)
    rabies_valid(vaccinated, date(2026, 11, 30), RULES)  # its last day
    with pytest.raises(DogRefused) as refused:
        rabies_valid(vaccinated, date(2026, 12, 1), RULES)  # lapsed today
    assert refused.value.rule == "rabies" and "lapsed on 2026-12-01" in str(refused.value)
    with pytest.raises(DogRefused, match="future"):
        rabies_valid(date(2026, 12, 2), date(2026, 12, 1), RULES)


def test_banned_breeds_whatever_the_spacing_and_a_size_by_height():
    refuse_breed("柯基犬", RULES)
    with pytest.raises(DogRefused) as refused:
        refuse_breed(" 藏 獒 ", RULES)
    assert refused.value.rule == "banned_breed"
    assert [size_of(h) for h in (34.9, 35, 59.9, 60)] == [Size.small, Size.medium, Size.medium, Size.large]


ZONE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"id": "z", "name": "碧沙岗公园及周边"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[113.63, 34.743], [113.642, 34.743], [113.642, 34.75], [113.63, 34.75], [113.63, 34.743]]
                ],
            },
        }
    ],
}


def test_the_key_zone_includes_its_boundary_and_refuses_large_dogs_and_second_dogs():
    zones = zones_from(ZONE)
    assert zone_of(113.642, 34.746, zones).id == "z"  # on the boundary: inside
    assert zone_of(113.6421, 34.746, zones) is None  # ten metres east: outside
    assert zone_of(None, None, zones) is None
    zone: KeyZone = zones[0]
    refuse_in_zone(zone, Size.medium, 0)
    with pytest.raises(DogRefused) as refused:
        refuse_in_zone(zone, Size.large, 0)
    assert refused.value.rule == "key_zone_large"
    with pytest.raises(DogRefused) as refused:
        refuse_in_zone(zone, Size.small, 1)
    assert refused.value.rule == "key_zone_household" and "has 1" in str(refused.value)
    refuse_in_zone(None, Size.large, 3)


def test_the_inspection_notice_and_suspension_days():
    due = date(2027, 11, 23)
    assert inspection_state(due, due - timedelta(days=31), RULES) == InspectionState.current
    assert inspection_state(due, due - timedelta(days=30), RULES) == InspectionState.due
    assert inspection_state(due, due, RULES) == InspectionState.due
    assert inspection_state(due, due + timedelta(days=90), RULES) == InspectionState.overdue
    assert inspection_state(due, due + timedelta(days=91), RULES) == InspectionState.suspend


def test_the_next_inspection_is_the_next_anniversary():
    due = date(2027, 11, 23)
    assert next_inspection(due, date(2027, 11, 1)) == date(2028, 11, 23)  # early
    assert next_inspection(due, date(2028, 1, 20)) == date(2028, 11, 23)  # late
    assert next_inspection(due, date(2029, 3, 1)) == date(2029, 11, 23)  # years late: the next one from today
    assert next_inspection(date(2027, 2, 28), date(2027, 2, 1)) == date(2028, 2, 28)


def test_twelve_months_of_violations():
    now = datetime(2026, 12, 1, 4, tzinfo=UTC)
    moments = [now - timedelta(days=366), datetime(2025, 12, 1, 4, 0, 1, tzinfo=UTC), now - timedelta(days=10), now]
    assert violations_within_a_year(moments, now) == 3  # a year ago to the second is outside, a second later in


def test_walking_hours_a_chip_and_an_identity_card_number():
    assert outside_walk_hours(time(5, 59), RULES) and not outside_walk_hours(time(6, 0), RULES)
    assert not outside_walk_hours(time(21, 59), RULES) and outside_walk_hours(time(22, 0), RULES)
    assert microchip("156 100 000 123 456") == "156100000123456"
    with pytest.raises(DogRefused, match="15 digits"):
        microchip("15610000012345")
    assert id_number("11010519491231002x") == "11010519491231002X"
    with pytest.raises(DogRefused, match="check character is 3, but the first 17 give 4"):
        id_number("410102199001011233")
    with pytest.raises(DogRefused, match="birth date"):
        id_number("410102199013011234")


def test_identity_card_numbers_sealed_and_fingerprinted():
    vault = IdentityVault("a-key-of-the-operators-own-0123456789")
    sealed = vault.seal("410102199001011234")
    assert "410102199001011234" not in sealed and vault.open(sealed) == "410102199001011234"
    assert vault.fingerprint("410102199001011234") == vault.fingerprint("410102199001011234")
    other = IdentityVault("another-key-of-the-operators-own-01234")
    assert other.fingerprint("410102199001011234") != vault.fingerprint("410102199001011234")
    with pytest.raises(ValueError, match="another key"):
        other.open(sealed)
    assert IdentityVault.masked("410102199001011234") == "410***********1234"
