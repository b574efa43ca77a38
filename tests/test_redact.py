"""Personal-data redaction: tricky cases both ways, check digits, Series and frames."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npsdiag.redact import iban_valid, luhn_valid, redact_frame, redact_text

# (text, label expected in the output, fragment that must be gone)
MUST_REDACT = [
    ("mail me at john.smith@example.co.uk please", "[email]", "john.smith"),
    ("JOHN_SMITH+nps@Example.COM", "[email]", "JOHN_SMITH"),
    ("o'brien@mail.ie", "[email]", "brien"),
    ("write to john [at] example [dot] com", "[email]", "example"),
    ("call 07700 900123, thanks", "[phone]", "900123"),
    ("+44 7700 900123", "[phone]", "7700"),
    ("+44 (0)20 7946 0958", "[phone]", "7946"),
    ("ring 0207 946 0958.", "[phone]", "946"),
    ("07700900123", "[phone]", "07700900123"),
    ("(555) 123-4567", "[phone]", "4567"),
    ("555.123.4567", "[phone]", "4567"),
    ("555-123-4567", "[phone]", "4567"),
    ("+1-202-555-0173", "[phone]", "0173"),
    ("2025550173", "[phone]", "2025550173"),
    ("06 12 34 56 78", "[phone]", "56 78"),
    ("06.12.34.56.78", "[phone]", "56.78"),
    ("+33 6 12 34 56 78", "[phone]", "56 78"),
    ("0049 30 1234567", "[phone]", "1234567"),
    ("030/1234567", "[phone]", "1234567"),
    ("+971 50 123 4567", "[phone]", "4567"),
    ("+91 98765 43210", "[phone]", "43210"),
    ("612 345 678", "[phone]", "345"),
    ("tel:+442079460958", "[phone]", "2079460958"),
    ("4111 1111 1111 1111", "[card]", "1111"),
    ("4111-1111-1111-1111", "[card]", "1111"),
    ("card 4111111111111111 expired", "[card]", "4111"),
    ("5500 0000 0000 0004", "[card]", "0004"),
    ("IBAN GB82 WEST 1234 5698 7654 32", "[iban]", "WEST"),
    ("DE89370400440532013000", "[iban]", "DE89"),
    ("see https://shop.example.com/track?email=jo@x.com&id=99", "[link: shop.example.com]", "jo@x.com"),
    ("https://example.com/reset/3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c", "[link: example.com]", "3f9a8b"),
    ("www.example.com/account/12345678/settings", "[link: www.example.com]", "12345678"),
    ("tweet @john_doe", "[handle]", "john_doe"),
    ("I live at SW1A 1AA", "[postcode]", "SW1A"),
    ("from 192.168.1.20", "[ip]", "192.168"),
]

MUST_NOT_REDACT = [
    "2024-01-15", "15/01/2024", "15.01.2024", "on 2024-01-15 10:30", "20240115", "01/01/2024 - 31/01/2024",
    "£1,234.56", "1.234,56 €", "$1,000,000", "1 234 567 €", "£1234567", "up to 1,000,000 users",
    "in 2019", "2019-2024", "2019 - 2024", "in 2023 and 2024", "Q4 2025",
    "95%", "99.9% uptime", "12.5 %", "NPS 0.69 (0.61, 0.75)", "1250000 responses", "AUC 0.51 (0.47-0.55)",
    "odds ratio 1.50 (1.27–1.79) per step",
    "order 123456", "ticket #654321", "ref 12-34-56", "case 98765",
    "version 3.14.159", "pi 3.14159265", "Section 2.3.4", "1.5 million",
    "100 Mbps", "76.5Mbps", "10:30-11:45", "10.30 - 11.45", "24/7 support", "3-5 days", "7 days a week",
    "www.bt.com was slow", "https://status.example.com/incidents", "reply @ 5pm", "B2B SaaS",
    "4111 1111 1111 1112",  # 16 digits failing the Luhn check: not a card, too long for a phone
    "Très bien 👍", "الخدمة ممتازة 100%", "שירות מצוין", "Отличный сервис", "非常好的服务",
    "<script>alert(1)</script>", "",
]


@pytest.mark.parametrize(("text", "label", "gone"), MUST_REDACT)
def test_must_redact(text: str, label: str, gone: str) -> None:
    out = redact_text(text)
    assert label in out
    assert gone not in out


@pytest.mark.parametrize("text", MUST_NOT_REDACT)
def test_must_not_redact(text: str) -> None:
    assert redact_text(text) == text


def test_context_is_kept_around_a_mask() -> None:
    assert redact_text("Call me on +44 7700 900123 or mail jo@example.com before 2024-01-15") == \
        "Call me on [phone] or mail [email] before 2024-01-15"
    assert redact_text("my number is 555-123-4567.") == "my number is [phone]."


def test_kinds_can_be_switched_off_and_numbers_on() -> None:
    assert redact_text("tweet @john_doe", handles=False) == "tweet @john_doe"
    assert redact_text("I live at SW1A 1AA", postcodes=False) == "I live at SW1A 1AA"
    assert redact_text("call 07700 900123", phones=False) == "call 07700 900123"
    assert redact_text("account 12345678") == "account 12345678"
    assert redact_text("account 12345678", numbers=True) == "account [number]"


def test_luhn_and_iban_checks_by_hand() -> None:
    # Luhn on 79927398713 (the textbook example): doubling every second digit from the right gives
    # 7 (9*2=18->9) 9 (7*2=14->5) 3 (9*2=18->9) 8 (1*2=2) 3: 7+9+9+5+7+9+3+7+1+2+3 = 70 -> valid
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert not luhn_valid("4111-1111")  # not digits only
    # IBAN GB82WEST12345698765432: move GB82 to the end, letters to numbers (W=32 E=14 S=28 T=29 G=16 B=11):
    # 3214282912345698765432161182 mod 97 = 1 -> valid; a changed check digit gives another remainder
    assert int("3214282912345698765432161182") % 97 == 1
    assert iban_valid("GB82WEST12345698765432")
    assert not iban_valid("GB83WEST12345698765432")
    assert not iban_valid("hello")


def test_series_keeps_index_missing_values_and_matches_scalar() -> None:
    texts = [t for t, _, _ in MUST_REDACT] + MUST_NOT_REDACT
    s = pd.Series(texts + [None], index=np.arange(len(texts) + 1) * 3)
    out = redact_text(s)
    assert list(out.index) == list(s.index)
    assert out.iloc[-1] is pd.NA
    assert out.iloc[:-1].tolist() == [redact_text(t) for t in texts]
    assert redact_text(None) is None
    assert redact_text(float("nan")) != redact_text(float("nan"))  # NaN stays NaN
    assert redact_text(pd.Series([], dtype="string")).empty


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyz éèàüñçß.,;!?'-()\n👍🙂مرحباשלום")),
               max_size=80))
def test_text_without_digits_or_at_signs_is_unchanged(text: str) -> None:
    assert redact_text(text) == text


def test_redact_frame_masks_identifiers_and_text_columns() -> None:
    df = pd.DataFrame({
        "respondent_id": ["jo@example.com", None, "c-123"],
        "Email": ["a@b.co", "c@d.org", None],
        "comment": ["call 07700 900123", "fine", None],
        "note": pd.Series(["mail x@y.com", 3, None], dtype=object),
        "score": [3, 9, 10],
        "when": pd.to_datetime(["2024-01-02", "2024-02-03", "2024-03-04"]),
    })
    out = redact_frame(df)
    assert out["respondent_id"].tolist()[0] == "[redacted]" and pd.isna(out["respondent_id"].iloc[1])
    assert out["Email"].tolist()[:2] == ["[redacted]", "[redacted]"]
    assert out["comment"].tolist()[:2] == ["call [phone]", "fine"] and pd.isna(out["comment"].iloc[2])
    assert out["note"].tolist()[:2] == ["mail [email]", 3]
    assert out["score"].tolist() == [3, 9, 10]
    assert out["when"].equals(df["when"])
    assert df["respondent_id"].iloc[0] == "jo@example.com"  # the input is not modified
    kept = redact_frame(df, columns=["comment"], id_columns=[])
    assert kept["respondent_id"].iloc[0] == "jo@example.com" and kept["note"].iloc[0] == "mail x@y.com"
    assert kept["comment"].iloc[0] == "call [phone]"


def test_no_partial_identifier_survives_in_long_text() -> None:
    text = ("Please call me back on 0161 496 0000 or write to firstname.lastname@example.org; " * 20)
    out = redact_text(text)
    assert not re.search(r"\d{3}", out) and "@" not in out


EMAILISH = ["jo@example.com", "p123@client.com", "www.jo@x.com", "jo@x.com and more", "a.b+c@d.e.co.uk",
            "é@x.com", "x@y.c", "o'neil@x.org", "https://x.com/a@b.com", "JO@EXAMPLE.COM", "a@b@c.com",
            "a_b@c-d.com", "a@b.com.", "-a@b.com", "call 07700 900123", "jo [at] example [dot] com"]


def test_series_redaction_equals_the_per_value_pattern() -> None:
    # A Series is redacted per distinct value, whole plain e-mail addresses by a vectorised check; the result must
    # be the scalar function's, value by value (repeated values, missing values and mixed kinds included).
    s = pd.Series(EMAILISH * 3 + [None], dtype="string")
    out = redact_text(s)
    assert out.tolist()[:-1] == [redact_text(v) for v in EMAILISH * 3]
    assert out.iloc[-1] is pd.NA and out.index.equals(s.index)
    assert out.iloc[0] == "[email]" and out.iloc[2] == "www.jo@x.com"
    kept = redact_text(s, emails=False)
    assert kept.tolist()[:-1] == [redact_text(v, emails=False) for v in EMAILISH * 3]
