"""What every printed paper shares: dates as 公文 write them, amounts in yuan from fen."""

from datetime import UTC, date, datetime

from common.printing import chinese_date, wrap, yuan


def test_a_date_is_written_without_leading_zeros():
    assert chinese_date(date(2026, 3, 5)) == "2026年3月5日"


def test_an_instant_is_written_as_the_bureaus_day():
    # 16:30 UTC on 31 December is already 1 January in Beijing
    assert chinese_date(datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == "2027年1月1日"


def test_an_amount_in_fen_is_written_in_yuan_with_two_decimals():
    assert yuan(123450) == "¥1,234.50"
    assert yuan(5) == "¥0.05"
    assert yuan(-200) == "-¥2.00"


def test_chinese_text_is_wrapped_within_the_width():
    text = "履行门前三包责任, 不占道经营、不突店经营、不乱堆乱放" * 3
    lines = wrap(text, 100, 10)
    assert "".join(lines) == text
    assert len(lines) > 1
