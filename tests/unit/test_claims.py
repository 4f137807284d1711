"""The claims rule and the round-robin / by-product assignment, as pure functions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from livesell.domain.claims import Duty, assignee, may_release, may_take


def test_may_take_and_release() -> None:
    assert may_take(None, 0, "An", 10)
    assert may_take("An", 20, "An", 10)
    assert not may_take("Bình", 20, "An", 10)
    assert may_take("Bình", 10, "An", 10)  # expired at exactly now
    assert may_release("An", 20, "An", 10)
    assert not may_release("Bình", 20, "An", 10)
    assert not may_release(None, 0, "An", 10)


def test_round_robin_and_by_product() -> None:
    roster = [Duty("Bình", (), 1), Duty("An", (), 1)]
    assert [assignee(n, ["A1"], roster) for n in range(4)] == ["An", "Bình", "An", "Bình"]
    with_product = [*roster, Duty("Chi", ("b1",), 1)]
    assert assignee(7, ["B1"], with_product) == "Chi"
    assert assignee(1, ["A1"], with_product) == "Bình"  # Chi handles B1 only
    assert assignee(3, ["A1"], []) is None


names = st.lists(st.sampled_from(["An", "Bình", "Chi", "Dũng"]), min_size=1, max_size=4,
                 unique=True)


@given(names, st.lists(st.integers(0, 10_000), min_size=1, max_size=40))
def test_every_order_goes_to_someone_on_duty_and_the_load_is_even(
        who: list[str], seqs: list[int]) -> None:
    roster = [Duty(name, (), 1) for name in who]
    dealt = [assignee(seq, ["A1"], roster) for seq in range(len(seqs))]
    assert set(dealt) <= set(who)
    counts = [dealt.count(name) for name in who]
    assert max(counts) - min(counts) <= 1
