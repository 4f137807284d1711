"""Delivery addresses read from comments, in the buyer's own spelling."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livesell.domain.address import Address, fold_keep_length, read_address

SURE = [
    ("giao 12 Lý Thường Kiệt P.5 Cà Mau", "12 Lý Thường Kiệt P.5 Cà Mau"),
    ("gửi về số 4 ngõ 12 Phường Bến Thành, Quận 1, TP HCM nha shop",
     "số 4 ngõ 12 Phường Bến Thành, Quận 1, TP HCM"),
    ("ship tới 45/2 Trần Hưng Đạo, phường 7, TP Cà Mau", "45/2 Trần Hưng Đạo, phường 7, TP Cà Mau"),
    ("địa chỉ: 88 Nguyễn Trãi, Q5, HCM", "88 Nguyễn Trãi, Q5, HCM"),
    ("đc 23 Hùng Vương xã Tân Thành huyện Đầm Dơi", "23 Hùng Vương xã Tân Thành huyện Đầm Dơi"),
    ("Đ/C: 7 đường 3/2, P.12, Q.10", "7 đường 3/2, P.12, Q.10"),
    ("12 Lê Lợi, Phường Bến Nghé, Quận 1", "12 Lê Lợi, Phường Bến Nghé, Quận 1"),
    ("giao 0912 888 777 số 9 kiệt 5 Huế", "số 9 kiệt 5 Huế"),
    ("sdt 0912888777 địa chỉ 15 Phan Đình Phùng p3 Bạc Liêu ạ",
     "15 Phan Đình Phùng p3 Bạc Liêu"),
]
UNSURE = [
    "ship về Cà Mau nha",
    "giao tới chợ Tân Thành huyện Đầm Dơi",
    "địa chỉ ấp 3 xã Tân Thành",
    "phường 5 quận 3 gần chợ",
]
NONE = [
    "giao nhanh nha shop", "ship không shop", "chốt A1 500g x2", "0912888777", "hello",
    "A1 còn không", "gửi lời chào cả nhà", "1kg", "đc không shop", "",
]


@pytest.mark.parametrize(("text", "address"), SURE)
def test_sure_addresses(text: str, address: str) -> None:
    assert read_address(text) == Address(address, True)


@pytest.mark.parametrize("text", UNSURE)
def test_unsure_addresses_are_kept_for_staff(text: str) -> None:
    found = read_address(text)
    assert found is not None and not found.sure and found.text


@pytest.mark.parametrize("text", NONE)
def test_no_address(text: str) -> None:
    assert read_address(text) is None


@given(st.text(max_size=200))
def test_folding_keeps_positions_and_reading_never_fails(text: str) -> None:
    assert len(fold_keep_length(text)) == len(text)
    found = read_address(text)
    assert found is None or (found.text and len(found.text) <= 300)
