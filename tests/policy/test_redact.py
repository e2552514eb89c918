"""Personal-data redaction: only real identity numbers and card numbers are masked (check
digit and Luhn verified), full-width and spaced forms are found, and spans point at the
characters the customer typed."""

from __future__ import annotations

import pytest

from aimass.policy.redact import find_pii, id_check_ok, luhn_ok, redact

VALID_ID = "11010519491231002X"  # ISO 7064 MOD 11-2 check character X
INVALID_ID = "110105194912310021"  # same number, wrong check digit (and not Luhn-valid)


def test_id_check_digit_is_verified() -> None:
    assert id_check_ok(VALID_ID)
    assert id_check_ok(VALID_ID.lower())
    assert not id_check_ok(INVALID_ID)
    assert not luhn_ok(INVALID_ID)  # so it is not mistaken for a bank card either


def test_valid_id_is_redacted_and_invalid_18_digits_left_alone() -> None:
    text = f"身份证 {VALID_ID}，另一个 {INVALID_ID}"
    found = find_pii(text)
    assert [(m.kind, m.text) for m in found] == [("id_card", VALID_ID)]
    assert redact(text, found) == f"身份证 [ID_CARD]，另一个 {INVALID_ID}"


@pytest.mark.parametrize(
    ("card", "masked"),
    [
        ("4111111111111111", True),
        ("4111 1111 1111 1111", True),
        ("6222-0212-3456-7890-128", True),  # 19 digits, Luhn-valid
        ("4111 1111 1111 1112", False),  # fails Luhn
        ("123456789012", False),  # too short for a card
    ],
)
def test_bank_cards_need_luhn(card: str, masked: bool) -> None:
    found = find_pii(f"卡号 {card} 扣款失败")
    assert [m.kind for m in found] == (["bank_card"] if masked else [])
    if masked:
        assert found[0].text == card


@pytest.mark.parametrize(
    "phone",
    ["13812345678", "+86 13812345678", "+8613812345678", "86-138-1234-5678", "138 1234 5678"],
)
def test_mobile_numbers_in_their_usual_forms(phone: str) -> None:
    found = find_pii(f"电话{phone}，谢谢")
    assert [(m.kind, m.text) for m in found] == [("mobile", phone)]


def test_not_a_mobile_number() -> None:
    assert find_pii("订单号 12812345678") == []  # 12x is not a mobile prefix
    assert find_pii("订单号 2138123456789") == []  # inside a longer number


def test_full_width_digits_are_found_and_mapped_to_the_original() -> None:
    text = "我的电话是１３８１２３４５６７８呀"
    found = find_pii(text)
    assert [(m.kind, m.text) for m in found] == [("mobile", "１３８１２３４５６７８")]
    assert redact(text, found) == "我的电话是[MOBILE]呀"


def test_email_and_kinds_can_be_switched_off() -> None:
    text = "邮箱 Zhang.San@Example.com 手机 13812345678"
    assert [m.kind for m in find_pii(text)] == ["email", "mobile"]
    assert [m.kind for m in find_pii(text, ["mobile"])] == ["mobile"]
    assert find_pii(text)[0].text == "Zhang.San@Example.com"
