"""Masks of personal data and who may reveal it."""

import pytest

from civicgrid.core.personal_data import can_reveal, mask_id_card, mask_name, mask_phone


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13800001111", "138****1111"),
        ("138 0000 1111", "138****1111"),
        ("0571-12345678", "057*****5678"),
        ("1234", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("33010119900101123X", "330101********123X"), ("12345678", "********"), ("", "")],
)
def test_mask_id_card(value, masked):
    assert mask_id_card(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("张三", "张*"), ("王网格", "王**"), ("欧阳娜娜", "欧阳**"), ("John", "J***"), ("李", "*")],
)
def test_mask_name(value, masked):
    assert mask_name(value) == masked


@pytest.mark.django_db
def test_can_reveal_follows_the_reveal_grant(world):
    village = world.area("338001001001").path
    other = world.area("338002101201").path
    assert can_reveal(world.user("township"), village) is True
    assert can_reveal(world.user("township"), other) is False
    assert can_reveal(world.user("admin"), village) is False  # administrators do not read personal data
    assert can_reveal(world.user("mediator"), village) is True
    assert can_reveal(world.user("township"), None) is False
