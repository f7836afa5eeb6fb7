"""What each document of a penalty case says (执法文书), framework-free: its kind, its name, the
字 of its number (文号), whether the party receives it (then it is sealed), and its text, written
from the case's own facts when its step is taken. cases.adapters.official sets it in type.

The texts follow the model documents (住建部令第55号; the provinces' 文书示范文本) and cite the
provisions they rest on: 行政处罚法 arts. 44, 45, 54, 63, 64, 67, 72; 行政强制法 art. 24; 行政复议法
art. 20; 行政诉讼法 art. 46."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cases.domain.enforcement import Track, required
from cases.domain.officers import Officer
from cases.domain.powers import LEVEL_NAMES, Level
from common.printing import chinese_date, yuan


@dataclass(frozen=True)
class Kind:
    code: str
    name: str
    prefix: str | None
    """The 字 of its number; None when the number is given by the step (a decision's 文号)."""
    to_party: bool
    """Served on the party: it bears the bureau's seal."""


KINDS = {
    k.code: k
    for k in (
        Kind("filing_approval", "立案审批表", "立", False),
        Kind("inspection_record", "现场检查(勘验)笔录", "检", False),
        Kind("inquiry_record", "询问(调查)笔录", "询", False),
        Kind("correction_order", "责令(限期)改正通知书", "责改", True),
        Kind("seizure_decision", "暂扣决定书", "暂扣", True),
        Kind("penalty_notice", "行政处罚事先告知书", "罚告", True),
        Kind("hearing_notice", "听证告知书", "听告", True),
        Kind("hearing_notification", "听证通知书", "听通", True),
        Kind("hearing_record", "听证笔录", "听笔", False),
        Kind("penalty_decision", "行政处罚决定书", None, True),
        Kind("summary_decision", "当场行政处罚决定书", None, True),
        Kind("closing_report", "结案报告", "结", False),
        Kind("address_confirmation", "送达地址确认书", None, False),
        Kind("service_receipt", "送达回证", "送", False),
    )
}


def number(abbr: str, prefix: str, year: int, n: int) -> str:
    """中城管罚告字〔2026〕第12号."""
    return f"{abbr}{prefix}字〔{year}〕第{n}号"


@dataclass(frozen=True)
class Text:
    """A document's fields (labelled lines) and paragraphs."""

    fields: list[tuple[str, str]]
    paragraphs: list[str]


@dataclass(frozen=True)
class Facts:
    """What every document of the case draws on."""

    case_number: str
    track: Track
    cause: str
    """案由: the power's name, or the case's category."""
    place: str | None = None


def _text(f: Facts, fields: list[tuple[str, str]], paragraphs: list[str]) -> Text:
    """A document's text, the party addressed as the model texts do: 你 a person, 你单位 an
    organisation (the texts are written with 你(单位))."""
    you = "你单位" if f.track.party_kind == "organisation" else "你"
    return Text(fields, [p.replace("你(单位)", you) for p in paragraphs])


def _party(t: Track) -> str:
    kind = "法人或者其他组织" if t.party_kind == "organisation" else "自然人"
    return f"{required(t.party, 'party')} ({kind})"


def _present(officers: Sequence[Officer]) -> str:
    """The officers present, each with the number of the 执法证 they showed."""
    return "; ".join(f"{o.name} (执法证 {o.certificate_number})" for o in officers)


def _penalty(t: Track) -> str:
    amount = t.amount_fen or 0
    penalty = f"罚款 {yuan(amount)}" if amount else "警告"
    band = f", 裁量档次: {LEVEL_NAMES[Level(t.band)]}" if t.band else ""
    return penalty + band + (f" (偏离裁量基准, 理由: {t.departure_reason})" if t.departure_reason else "")


RIGHTS = (
    "如不服本决定, 可以在收到本决定书之日起六十日内依法申请行政复议 (行政复议法第二十条), 或者在六个月内依法"
    "向人民法院提起行政诉讼 (行政诉讼法第四十六条)。"
)


def filing_approval(f: Facts, source: str, officer: str, opened_at: datetime) -> Text:
    return _text(
        f,
        fields=[
            ("案卷号", f.case_number),
            ("案由", f.cause),
            ("当事人", _party(f.track)),
            ("案件来源", source),
            ("发生地点", f.place or "—"),
            ("承办人", officer),
            ("立案时间", chinese_date(opened_at)),
        ],
        paragraphs=[
            "经初步核实, 有证据初步证明当事人有涉嫌违法的行为, "
            "依据《中华人民共和国行政处罚法》第五十四条第二款, 建议立案查处。",
            f"依据: {f.track.legal_basis or '待查明'}。自立案之日起九十日内作出处理决定 (行政处罚法第六十条)。",
        ],
    )


def investigation_record(
    f: Facts,
    kind: str,
    officers: Sequence[Officer],
    place: str,
    started_at: datetime,
    ended_at: datetime,
    record: str,
    interviewee: str | None,
) -> Text:
    fields = [
        ("案卷号", f.case_number),
        ("时间", f"{started_at:%Y-%m-%d %H:%M} 至 {ended_at:%H:%M}"),
        ("地点", place),
        ("执法人员", _present(officers)),
    ]
    if interviewee:
        fields.append(("被询问人", interviewee))
    opening = "执法人员已出示执法证件, 表明身份, 告知当事人陈述、申辩和申请回避的权利。"
    return _text(f, fields=fields, paragraphs=[opening, *[p for p in record.splitlines() if p.strip()]])


def correction_order(f: Facts, requirement: str, correct_by: datetime) -> Text:
    return _text(
        f,
        fields=[("当事人", _party(f.track)), ("案由", f.cause), ("地点", f.place or "—")],
        paragraphs=[
            f"经查, 你(单位)存在“{f.cause}”的行为。{f.track.legal_basis or ''}。",
            f"现责令你(单位)于{chinese_date(correct_by)}前改正: {requirement}。逾期不改正的, 本局将依法处理。",
        ],
    )


def seizure_decision(f: Facts, items: Sequence[dict], kept_at: str, officers: Sequence[Officer]) -> Text:
    listed = "; ".join(f"{i['item']} × {i['quantity']}" + (f" ({i['note']})" if i.get("note") else "") for i in items)
    return _text(
        f,
        fields=[
            ("当事人", _party(f.track) if f.track.party else "—"),
            ("案由", f.cause),
            ("暂扣物品清单", listed),
            ("存放地点", kept_at),
            ("执法人员", _present(officers)),
        ],
        paragraphs=[
            "依据《中华人民共和国行政强制法》第二十四条, 本局决定对上列物品予以暂扣, 当场交付本决定书和清单。",
            RIGHTS,
        ],
    )


def penalty_notice(f: Facts, hearing: bool) -> Text:
    t = f.track
    paragraphs = [
        f"经查, 你(单位)存在“{f.cause}”的违法行为。{t.legal_basis or ''}。"
        f"本局拟对你(单位)作出如下行政处罚: {_penalty(t)}。",
        "依据《中华人民共和国行政处罚法》第四十四条、第四十五条, 你(单位)有权进行陈述和申辩; 本局不因你(单位)的陈述、"
        "申辩而给予更重的处罚。",
    ]
    if hearing:
        paragraphs.append(
            "依据行政处罚法第六十三条、第六十四条, 你(单位)有权要求听证, 应当在收到本告知书之日起五日内提出。"
        )
    paragraphs.append(f"陈述、申辩或要求听证的期限至{chinese_date(required(t.hearing_request_until, 'period'))}止。")
    return _text(
        f, fields=[("当事人", _party(t)), ("案由", f.cause), ("处罚依据", t.legal_basis or "—")], paragraphs=paragraphs
    )


def hearing_notice(f: Facts) -> Text:
    t = f.track
    return _text(
        f,
        fields=[("当事人", _party(t)), ("拟作出的处罚", _penalty(t))],
        paragraphs=[
            "本局拟作出的行政处罚属于较大数额罚款, 依据《中华人民共和国行政处罚法》第六十三条、第六十四条, 你(单位)有权"
            "要求举行听证。",
            f"如要求听证, 应当在{chinese_date(required(t.hearing_request_until, 'period'))}前向本局提出; "
            "逾期视为放弃。",
        ],
    )


def penalty_decision(f: Facts) -> Text:
    t = f.track
    served = required(t.served_at, "served_at")
    fine = t.amount_fen or 0
    paragraphs = [f"经查, 你(单位)存在“{f.cause}”的违法行为。{t.legal_basis or ''}。本局决定: {_penalty(t)}。"]
    if fine:
        paragraphs.append(
            f"请于{chinese_date(required(t.payment_due, 'payment_due'))}前缴纳罚款 "
            "(送达之日起十五日内, 行政处罚法第六十七条); "
            "到期不缴纳罚款的, 每日按罚款数额的百分之三加处罚款 (第七十二条)。"
        )
    paragraphs += [
        f"如不服本决定, 可于{chinese_date(required(t.reconsideration_until, 'reconsideration'))}前申请行政复议,"
        f" 或于{chinese_date(required(t.lawsuit_until, 'lawsuit'))}前向人民法院提起行政诉讼。",
        "逾期不申请行政复议、不提起行政诉讼又不履行的, 本机关将依法申请人民法院强制执行。",
    ]
    return _text(
        f,
        fields=[
            ("案卷号", f.case_number),
            ("当事人", _party(t)),
            ("处罚依据", t.legal_basis or "—"),
            ("罚款金额", yuan(fine) if fine else "— (警告)"),
            ("送达日期", chinese_date(served)),
        ],
        paragraphs=paragraphs,
    )


CLOSINGS = {
    "paid": "当事人已缴纳罚款",
    "enforced": "经人民法院裁定准予执行, 已强制执行完毕",
    "revoked": "处罚决定经复议或诉讼被撤销",
    "court_refused": "人民法院裁定不予执行",
}


def closing_report(f: Facts, closed_at: datetime) -> Text:
    t = f.track
    return _text(
        f,
        fields=[
            ("案卷号", f.case_number),
            ("当事人", _party(t)),
            ("案由", f.cause),
            ("处罚决定", f"{t.decision_number or '—'}: {_penalty(t)}"),
            ("执行情况", CLOSINGS.get(t.stage.value, t.stage.value) + f", 收缴 {yuan(t.collected_fen)}"),
            ("结案时间", chinese_date(closed_at)),
        ],
        paragraphs=["本案处罚决定已执行完毕 (或依法终结), 案卷材料齐全, 建议结案归档。"],
    )


CHANNELS = {"sms": "短信", "email": "电子邮件", "app": "移动应用"}
METHODS = {"in_person": "直接送达", "post": "邮寄送达", "announcement": "公告送达", "electronic": "电子送达"}


def address_confirmation(f: Facts, channel: str, address: str, signed_by: str, confirmed_at: datetime) -> Text:
    return _text(
        f,
        fields=[
            ("案卷号", f.case_number),
            ("当事人", _party(f.track) if f.track.party else "—"),
            ("送达方式", f"电子送达 ({CHANNELS[channel]})"),
            ("送达地址", address),
            ("确认人", signed_by),
            ("确认时间", chinese_date(confirmed_at)),
        ],
        paragraphs=[
            "本人(单位)同意本局采用上述电子方式向本人(单位)送达执法文书 (行政处罚法第六十一条), 确认上述地址真实有效; "
            "文书到达上述地址之日为送达之日。地址变更的, 将及时书面告知。",
            "确认人签名: ____________",
        ],
    )


def service_receipt(
    f: Facts,
    served: tuple[str, str | None],
    method: str,
    served_at: datetime,
    recipient: str,
    tracking_number: str | None,
    evidence: str | None,
) -> Text:
    name, number = served
    fields = [
        ("送达文书", f"{name} {number or ''}".strip()),
        ("受送达人", recipient),
        ("送达方式", METHODS[method]),
        ("送达时间", f"{served_at:%Y-%m-%d %H:%M}"),
    ]
    if tracking_number:
        fields.append(("邮件号码", tracking_number))
    if evidence:
        fields.append(("送达证明", evidence))
    return _text(f, fields=fields, paragraphs=["受送达人签收: ____________    送达人: ____________"])


def hearing_notification(f: Facts, hearing_at: datetime, place: str, presiding: str) -> Text:
    return _text(
        f,
        fields=[
            ("当事人", _party(f.track)),
            ("案由", f.cause),
            ("听证时间", f"{hearing_at:%Y-%m-%d %H:%M}"),
            ("听证地点", place),
            ("听证主持人", presiding),
        ],
        paragraphs=[
            "根据你(单位)的要求, 本局决定举行听证 (行政处罚法第六十四条)。请按时参加; 你(单位)可以亲自参加, 也可以委托"
            "一至二人代理。认为主持人与本案有直接利害关系的, 有权申请回避。无正当理由拒不出席的, 视为放弃听证权利。",
        ],
    )


def hearing_record(f: Facts, presiding: str, attendees: str, record: str, held_at: datetime) -> Text:
    return _text(
        f,
        fields=[
            ("案卷号", f.case_number),
            ("当事人", _party(f.track)),
            ("听证时间", f"{held_at:%Y-%m-%d %H:%M}"),
            ("听证主持人", presiding),
            ("参加人员", attendees),
        ],
        paragraphs=[p for p in record.splitlines() if p.strip()] + ["听证笔录经当事人核对无误后签字或者盖章。"],
    )
