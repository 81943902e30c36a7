"""Approval letter PDFs: content, layout limits, batch splitting and escaping (no database)."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pdfplumber
import pytest
import segno
from pypdf import PdfReader

from reviews.letters.render import (
    LetterContent,
    chinese_date,
    render_letter_html,
    render_letter_pdf,
    render_letter_pdfs,
)

A4 = (595.28, 841.89)
LONG_NAME = "陕西咸阳秦都区高新技术产业开发区先进装备制造与新材料研发应用集团股份有限公司西北分公司第一研发中心"[
    :60
]
EIGHT_FACTS = (
    ("认定类别", "国家级专精特新“小巨人”企业"),
    ("认定文号", "工信部企业函〔2025〕188号"),
    ("认定日期", "2025年8月20日"),
    ("申报批次", "2026年第一批"),
    ("所属县市区", "秦都区"),
    ("主管部门", "市工业和信息化局中小企业科"),
    ("申报编号", "XY-2026-000123"),
    ("审核意见", "符合条件，同意按标准给予奖励"),
)
BASE = LetterContent(
    number="咸工信奖〔2026〕15号",
    organisation_name="陕西咸阳秦都精密制造科技有限公司",
    uscc="91610400MA6XQ1234X",
    policy_document="咸工信发〔2025〕70号",
    policy_title="咸阳市全面推动科技创新和制造业深度融合加快发展新质生产力的若干措施",
    measure_number=12,
    measure_title="支持企业梯度培育",
    clause_title="对首次认定的国家级专精特新“小巨人”企业给予一次性奖励",
    facts=EIGHT_FACTS[:3],
    amount=Decimal("200000.00"),
    issued_on=date(2026, 1, 15),
    issuer="咸阳市工业和信息化局",
    verification_code="7KQ2M9XH4TZP8RWC",
    verify_url="https://hqzc.xianyang.gov.cn/verify/7KQ2M9XH4TZP8RWC/",
)
TRICKY_AMOUNTS = {  # written by hand after 《支付结算办法》
    "5000": "伍仟元整",
    "10050.05": "壹万零伍拾元零伍分",
    "1000000": "壹佰万元整",
    "800000": "捌拾万元整",
    "180000": "壹拾捌万元整",
}


def letter(i: int, **changes: object) -> LetterContent:
    code = f"CODE{i:04d}VERIFY{i:02d}"
    defaults = {
        "number": f"咸工信奖〔2026〕{100 + i}号",
        "organisation_name": f"咸阳第{i}号测试企业有限公司",
        "verification_code": code,
        "verify_url": f"https://hqzc.xianyang.gov.cn/verify/{code}/",
    }
    return replace(BASE, **{**defaults, **changes})


def text_of(pdf: bytes) -> str:
    """The PDF's text with all whitespace removed (lines wrap anywhere in Chinese text)."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def pages_of(pdf: bytes) -> list:
    return list(PdfReader(io.BytesIO(pdf)).pages)


def assert_a4_one_page(pdf: bytes) -> None:
    pages = pages_of(pdf)
    assert len(pages) == 1
    box = pages[0].mediabox
    assert float(box.width) == pytest.approx(A4[0], abs=1)
    assert float(box.height) == pytest.approx(A4[1], abs=1)


@pytest.fixture(scope="module")
def single_pdf() -> bytes:
    # The only single-letter (naive path) render in this file: it is the slow one.
    return render_letter_pdf(BASE)


@pytest.fixture(scope="module")
def five() -> tuple[list[LetterContent], list[bytes]]:
    letters = [letter(i) for i in range(5)]
    return letters, render_letter_pdfs(letters)


@pytest.fixture(scope="module")
def special() -> dict[str, bytes]:
    """Edge cases rendered as one batch, which also exercises the page split."""
    cases = {
        "long": letter(1, organisation_name=LONG_NAME, facts=EIGHT_FACTS),
        "script": letter(2, organisation_name="咸阳<script>alert(1)</script>有限公司"),
        **{
            amount: letter(10 + i, amount=Decimal(amount))
            for i, amount in enumerate(TRICKY_AMOUNTS)
        },
    }
    return dict(zip(cases, render_letter_pdfs(list(cases.values())), strict=True))


def test_chinese_date_has_no_leading_zeros():
    assert chinese_date(date(2026, 1, 5)) == "2026年1月5日"
    assert chinese_date(date(2025, 12, 31)) == "2025年12月31日"


def test_single_letter_carries_the_key_facts(single_pdf):
    text = text_of(single_pdf)
    for expected in (
        "咸工信奖〔2026〕15号",
        "陕西咸阳秦都精密制造科技有限公司：",
        "人民币200,000.00元（大写：贰拾万元整）",
        "7KQ2M9XH4TZP8RWC",
        "《咸阳市全面推动科技创新和制造业深度融合加快发展新质生产力的若干措施》（咸工信发〔2025〕70号）",
        "第12条“支持企业梯度培育”",
        "市财政局",
        "2026年1月15日",
        "扫码或访问https://hqzc.xianyang.gov.cn/verify/7KQ2M9XH4TZP8RWC/核验真伪",
    ):
        assert expected in text
    assert_a4_one_page(single_pdf)


def test_longest_name_and_eight_facts_fit_on_one_a4_page(special):
    assert_a4_one_page(special["long"])
    text = text_of(special["long"])
    assert LONG_NAME in text
    assert all(label in text and value in text for label, value in EIGHT_FACTS)


@pytest.mark.parametrize(("amount", "capitals"), TRICKY_AMOUNTS.items())
def test_amount_in_figures_and_capitals(special, amount, capitals):
    text = text_of(special[amount])
    figures = f"{Decimal(amount):,.2f}"
    assert f"核定奖励资金人民币{figures}元（大写：{capitals}）" in text
    assert text.count("人民币") == 1 and "¥" not in text  # the currency is named once
    assert_a4_one_page(special[amount])


def test_batch_gives_each_letter_its_own_one_page_pdf(five):
    letters, pdfs = five
    assert len(pdfs) == 5
    for mine, pdf in zip(letters, pdfs, strict=True):
        assert_a4_one_page(pdf)
        text = text_of(pdf)
        assert mine.organisation_name in text
        assert mine.number in text
        assert mine.verification_code in text
        for other in letters:
            if other is not mine:
                assert other.organisation_name not in text
                assert other.number not in text
                assert other.verification_code not in text


def test_each_split_pdf_embeds_its_fonts_and_only_its_own_qr_code(five):
    letters, pdfs = five
    for mine, pdf in zip(letters, pdfs, strict=True):
        page = pages_of(pdf)[0]
        fonts = page["/Resources"]["/Font"]
        assert fonts
        for font in fonts.values():
            descriptor = font.get_object()["/DescendantFonts"][0]["/FontDescriptor"]
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
        # The batch's other QR codes are not carried along, and this one encodes verify_url.
        images = page.images
        assert len(images) == 1
        qr = images[0].image.convert("1")
        matrix = segno.make(mine.verify_url, error="m", mask=0, boost_error=False).matrix
        border = (qr.width - len(matrix)) // 2
        modules = [
            [qr.getpixel((border + x, border + y)) == 0 for x in range(len(matrix))]
            for y in range(len(matrix))
        ]
        assert modules == [[bool(m) for m in row] for row in matrix]


# Written by hand: the title is 奖励资金核定通知书 and the letter's number (letter(i) is number
# 100 + i); the language is the template's <html lang>.
SPLIT_TITLES = {
    0: "奖励资金核定通知书 咸工信奖〔2026〕100号",
    4: "奖励资金核定通知书 咸工信奖〔2026〕104号",
}


def test_each_split_pdf_is_valid_titled_and_carries_the_compacted_title_face(five):
    _letters, pdfs = five
    for i, title in SPLIT_TITLES.items():
        reader = PdfReader(io.BytesIO(pdfs[i]), strict=True)
        assert reader.metadata.title == title
        assert reader.trailer["/Root"]["/Lang"] == "zh-CN"
        fonts = {
            font["/BaseFont"].split("+", 1)[1]: font
            for font in (
                ref.get_object() for ref in reader.pages[0]["/Resources"]["/Font"].values()
            )
        }
        descriptor = fonts["Noto-Serif-CJK-SC-Bold"]["/DescendantFonts"][0]["/FontDescriptor"]
        face = descriptor["/FontFile3"].get_object()
        # Bare CFF with the used glyphs only; WeasyPrint's own subset of this face is ≈150 KiB.
        assert face["/Subtype"] == "/CIDFontType0C"
        assert len(face.get_data()) < 30 * 1024
        assert len(pdfs[i]) < 100 * 1024


def test_batch_split_follows_letters_that_run_over_a_page():
    # A far too long name pushes one letter onto a second page; the split must follow it.
    letters = [letter(1), letter(2, organisation_name="超长名称" * 400), letter(3)]
    pdfs = render_letter_pdfs(letters)
    first, long, last = (len(pages_of(pdf)) for pdf in pdfs)
    assert (first, last) == (1, 1)
    assert long >= 2
    for mine, pdf in zip(letters, pdfs, strict=True):
        assert mine.number in text_of(pdf)


def test_batch_of_nothing_is_nothing():
    assert render_letter_pdfs([]) == []


def test_more_than_eight_facts_is_refused():
    with pytest.raises(ValueError, match="at most 8"):
        render_letter_html([letter(1, facts=(*EIGHT_FACTS, ("多余", "一行")))])


def test_values_are_escaped_in_html_and_shown_as_text_in_pdf(special):
    html = render_letter_html(
        [letter(2, organisation_name="咸阳<script>alert(1)</script>有限公司")]
    )
    assert "<script>" not in html
    assert "咸阳&lt;script&gt;alert(1)&lt;/script&gt;有限公司：" in html
    assert "咸阳<script>alert(1)</script>有限公司：" in text_of(special["script"])


# --- layout after GB/T 9704-2012, read back from the PDF's text, colours and positions -----

MM = 72 / 25.4
TYPE_LEFT, TYPE_RIGHT = 28 * MM, A4[0] - 26 * MM  # 版心 156 mm wide
EM = 16  # 三号 body text, in points


def is_red(color) -> bool:
    return (
        isinstance(color, tuple | list)
        and len(color) == 3
        and color[0] > 0.6
        and max(color[1:]) < 0.2
    )


def is_black(color) -> bool:
    return isinstance(color, tuple | list) and len(color) == 3 and max(color) < 0.2


@pytest.fixture(scope="module")
def layout():
    pdf = render_letter_pdfs([replace(BASE, amount=Decimal("180000"))])[0]
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == 1
        page = document.pages[0]
        lines = page.extract_text_lines()
        yield {
            "page": page,
            "lines": lines,
            "text": re.sub(r"\s+", "", "".join(line["text"] for line in lines)),
            "rules": [r for r in page.rects if r["x1"] - r["x0"] > 0.9 * (TYPE_RIGHT - TYPE_LEFT)],
        }


def line_of(layout, text: str, *, after: float = 0) -> dict:
    return next(
        line
        for line in layout["lines"]
        if re.sub(r"\s+", "", line["text"]).startswith(text) and line["top"] > after
    )


def centre(box) -> float:
    return (box["x0"] + box["x1"]) / 2


def test_letter_head_is_red_issuer_number_and_red_rule_then_bold_title(layout):
    page = layout["page"]
    assert (round(page.width), round(page.height)) == (595, 842)
    issuer = line_of(layout, "咸阳市工业和信息化局")
    assert all(is_red(c["non_stroking_color"]) for c in issuer["chars"])
    assert min(c["size"] for c in issuer["chars"]) >= 22
    assert 37 * MM - 2 <= issuer["top"] < 60 * MM  # at the top of the type area
    number = line_of(layout, "咸工信奖〔2026〕15号")
    title = line_of(layout, "奖励资金核定通知书")
    assert issuer["bottom"] < number["top"] < title["top"]
    for centred in (issuer, number, title):
        assert centre(centred) == pytest.approx((TYPE_LEFT + TYPE_RIGHT) / 2, abs=3)
    red_rules = [r for r in layout["rules"] if is_red(r["non_stroking_color"])]
    assert any(number["bottom"] < r["bottom"] < title["top"] for r in red_rules)
    assert all("Bold" in c["fontname"] for c in title["chars"])
    assert not any(is_red(c["non_stroking_color"]) for c in title["chars"])


def test_addressee_and_body_in_the_fangsong_style_face_at_sanhao(layout):
    addressee = line_of(layout, "陕西咸阳秦都精密制造科技有限公司：")
    assert addressee["x0"] == pytest.approx(TYPE_LEFT, abs=1)  # 主送 顶格
    body = line_of(layout, "根据《")
    assert body["x0"] == pytest.approx(TYPE_LEFT + 2 * EM, abs=1)  # 首行缩进二字
    for line in (addressee, body, line_of(layout, "特此通知。")):
        assert {round(c["size"]) for c in line["chars"]} == {16}
        assert all("WenKai" in c["fontname"] for c in line["chars"])


def test_amount_names_the_currency_once(layout):
    assert "核定奖励资金人民币180,000.00元（大写：壹拾捌万元整）" in layout["text"]
    assert layout["text"].count("人民币") == 1
    assert "¥" not in layout["text"]


def test_signature_date_and_seal_area_then_qr_code_below(layout):
    body_end = line_of(layout, "特此通知。")
    signer = line_of(layout, "咸阳市工业和信息化局", after=body_end["top"])
    dated = line_of(layout, "2026年1月15日", after=signer["top"])
    assert TYPE_RIGHT - dated["x1"] == pytest.approx(4 * EM, abs=0.8 * EM)  # 右空四字
    assert centre(signer) == pytest.approx(centre(dated), abs=2)
    # The placeholder seal: a red dashed circle, marked as such, pressing on signature and date.
    label = line_of(layout, "印章位置")
    assert all(is_red(c["non_stroking_color"]) for c in label["chars"])
    seals = [
        c
        for c in layout["page"].curves
        if is_red(c.get("stroking_color")) or is_red(c.get("non_stroking_color"))
    ]
    assert seals
    seal = max(seals, key=lambda c: c["x1"] - c["x0"])
    assert seal["x1"] - seal["x0"] == pytest.approx(38 * MM, abs=3)
    assert seal["top"] < signer["top"] and seal["bottom"] > dated["bottom"]
    assert seal["top"] < body_end["bottom"] + 16 * 1.5  # its top within a line of the body
    assert centre(seal) == pytest.approx(centre(dated), abs=4)
    # QR code and verification code below the signature block, clear of the seal.
    [qr] = layout["page"].images
    code = line_of(layout, "核验码：7KQ2M9XH4TZP8RWC")
    assert qr["top"] >= seal["bottom"] - 1 and code["top"] > seal["bottom"]


def test_record_lists_copy_to_issuing_office_and_date_between_rules(layout):
    [qr] = layout["page"].images
    copy_to = line_of(layout, "抄送：市财政局。")
    printed = line_of(layout, "咸阳市工业和信息化局办公室")
    assert qr["bottom"] < copy_to["top"] < printed["top"]
    assert re.sub(r"\s+", "", printed["text"]) == "咸阳市工业和信息化局办公室2026年1月15日印发"
    assert printed["x0"] == pytest.approx(TYPE_LEFT + 14, abs=1.5)  # 印发机关左空一字
    assert printed["x1"] == pytest.approx(TYPE_RIGHT - 14, abs=1.5)  # 印发日期右空一字
    black = [r for r in layout["rules"] if is_black(r["non_stroking_color"])]
    assert any(r["top"] < copy_to["top"] for r in black)
    assert any(r["bottom"] > printed["bottom"] for r in black)


def test_configured_seal_image_replaces_the_placeholder(tmp_path):
    from PIL import Image, ImageDraw

    seal = tmp_path / "seal.png"
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((4, 4, 196, 196), outline=(200, 0, 0, 255), width=8)
    image.save(seal)
    [pdf] = render_letter_pdfs([BASE], seal_image=seal)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        assert len(document.pages) == 1
        assert "印章位置" not in page.extract_text()
        widths = sorted(round((i["x1"] - i["x0"]) / MM) for i in page.images)
        assert widths == [18, 38]  # the QR code and the seal


def test_letters_skip_only_the_user_agent_rules_they_never_use():
    # Speed (reviews/letters/render.py): WeasyPrint's own stylesheet minus the list-marker,
    # footnote and note pseudo-elements (6 rules) and the 16 page-margin box alignments.
    from weasyprint.html import UA

    from reviews.letters.render import _UNUSED_UA_RULES

    removed = _UNUSED_UA_RULES.findall(UA)
    assert len(removed) == 22
    kept = _UNUSED_UA_RULES.sub("", UA)
    assert "br::before" in kept and "@footnote" in kept and "h1 { font-size: 2em" in kept
