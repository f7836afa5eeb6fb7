"""The circular's section 7: 受理 by channel (信访, 领导交办 and 舆情 under their own names) and the
12345 and 110 orders as the hotline centres assess them, 执法办案 apart."""

from __future__ import annotations

from datetime import UTC, date, datetime

from reporting.adapters.circular import channel_text
from reporting.queries.circular import Circular


def circular(**changes) -> Circular:
    base = {
        "bureau": "中原区城市管理综合执法局",
        "month": date(2026, 11, 1),
        "label": "2026年11月",
        "headline": [],
        "days": [],
        "received_by_day": [],
        "closed_by_day": [],
        "categories": [],
        "ranking": [],
        "grids": [],
        "ledger": None,
        "dogs": {},
        "footnotes": [],
        "generated_at": datetime(2026, 12, 1, tzinfo=UTC),
    }
    return Circular(**{**base, **changes})


def test_channels_and_the_hotline_figures():
    hotline = {
        "received": 40,
        "signed_on_time": 38,
        "replied": 30,
        "finished_on_time": 27,
        "returned": 2,
        "redone": 3,
        "rated": 20,
        "satisfied": 18,
        "enforcement": 5,
        "enforcement_rated": 4,
        "enforcement_satisfied": 1,
    }
    text = channel_text(circular(channels=[("12319热线", 300), ("信访", 4), ("舆情", 1)], hotline=hotline))
    assert text.startswith("受理渠道: 12319热线 300、信访 4、舆情 1。")
    for figure in ("工单 40 件", "及时签收率 95.0%", "按时办结率 90.0%", "回退率 5.0%", "重办率 10.0%", "满意率 90.0%"):
        assert figure in text, figure
    assert "执法办案工单 5 件另计, 满意率 25.0%" in text


def test_a_month_without_orders_says_so():
    assert channel_text(circular()) == "受理渠道: 无。本月无12345、110转办工单。"
