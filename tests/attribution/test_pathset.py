"""Building path sets: the fast string tokenizer must agree with the plain-Python reference, always."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnicx.attribution.engine import Path, PathSet
from omnicx.attribution.engine import _tokenize as tokenizer
from omnicx.attribution.errors import PathSetError

NAME_CHARS = st.sampled_from([*"abcdefghij_-. éü€漢", "\t"])
NAMES = st.text(NAME_CHARS, min_size=1, max_size=30).filter(lambda s: s.strip(tokenizer.WHITESPACE) != "")
SPACES = st.text(st.sampled_from(" \t\r"), max_size=3)


@st.composite
def raw_paths(draw: st.DrawFn, sep: str = ">") -> list[str]:
    """Paths with random names, random padding around names and a few very long names."""
    vocabulary = draw(st.lists(NAMES, min_size=1, max_size=12))
    rows = []
    for _ in range(draw(st.integers(1, 40))):
        touches = draw(st.lists(st.sampled_from(vocabulary), min_size=1, max_size=8))
        rows.append(sep.join(draw(SPACES) + t + draw(SPACES) for t in touches))
    return rows


def assert_same(fast: tokenizer.Tokens, slow: tokenizer.Tokens) -> None:
    assert fast.names == slow.names
    np.testing.assert_array_equal(fast.ids, slow.ids)
    np.testing.assert_array_equal(fast.offsets, slow.offsets)


@settings(max_examples=150, deadline=None)
@given(raw_paths())
def test_fast_tokenizer_matches_reference(rows: list[str]) -> None:
    assert_same(tokenizer.tokenize(rows), tokenizer.tokenize_slow(rows))


@settings(max_examples=50, deadline=None)
@given(raw_paths(sep=" → "))
def test_multi_character_separators_match_reference(rows: list[str]) -> None:
    assert_same(tokenizer.tokenize(rows, "→"), tokenizer.tokenize_slow(rows, "→"))


@settings(max_examples=30, deadline=None)
@given(raw_paths())
def test_slot_collisions_fall_back_to_the_exact_route(rows: list[str]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tokenizer, "_SLOT_BITS", 1)  # two slots: distinct names collide

        fast = tokenizer.tokenize(rows)

    assert_same(fast, tokenizer.tokenize_slow(rows))


def test_hash_collisions_fall_back_to_python(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = ["a > bb > a", "ccc", "bb > dddddddddddd"]
    monkeypatch.setattr(tokenizer, "_hash", lambda words, lengths: np.zeros(lengths.size, dtype=np.uint64))

    assert_same(tokenizer.tokenize(rows), tokenizer.tokenize_slow(rows))


def test_chunks_share_one_numbering(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokenizer, "_CHUNK_ROWS", 3)
    rows = [f"c{i % 7} > c{(i * 3) % 11} > common" for i in range(50)]

    assert_same(tokenizer.tokenize(rows), tokenizer.tokenize_slow(rows))


def test_newlines_inside_a_path_are_spaces() -> None:
    rows = ["a\n > b", "paid\nsearch"]

    tokens = tokenizer.tokenize(rows)

    assert tokens.names == ("a", "b", "paid search")
    assert_same(tokens, tokenizer.tokenize_slow(rows))


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["a", "  "], "row 1, path: empty path"),
        (["a", ""], "row 1, path: empty path"),
        (["a", "a >  > b"], "row 1, path: empty channel name at position 2"),
        (["a > b >", "a"], "row 0, path: empty channel name at position 3"),
    ],
)
def test_empty_paths_and_channels_are_located(rows: list[str], message: str) -> None:
    for tokenize in (tokenizer.tokenize, tokenizer.tokenize_slow):
        with pytest.raises(PathSetError, match=message):
            tokenize(rows)


def test_empty_channel_is_located_in_a_later_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokenizer, "_CHUNK_ROWS", 4)
    rows = ["a > b"] * 9 + ["a >> b"]

    with pytest.raises(PathSetError, match="row 9, path: empty channel name at position 2"):
        tokenizer.tokenize(rows)


@pytest.mark.parametrize("sep", ["", " ", " >"])
def test_separators_must_be_visible(sep: str) -> None:
    with pytest.raises(PathSetError, match="separator"):
        PathSet.from_strings(["a"], conversions=[1], sep=sep)


def test_from_paths_and_from_strings_agree() -> None:
    by_strings = PathSet.from_strings(["b > a", "a"], conversions=[1, 2], value=[3, 4], nulls=[5, 6])
    by_paths = PathSet.from_paths([Path(("b", "a"), 1, 3, 5), Path(("a",), 2, 4, 6)])

    assert by_strings.channels == by_paths.channels == ("a", "b")
    np.testing.assert_array_equal(by_strings.touches, by_paths.touches)
    np.testing.assert_array_equal(by_strings.offsets, by_paths.offsets)
    for field in ("conversions", "value", "nulls"):
        np.testing.assert_array_equal(getattr(by_strings, field), getattr(by_paths, field))


def test_from_arrays_checks_its_columns() -> None:
    with pytest.raises(PathSetError, match="empty path"):
        PathSet.from_arrays(channels=("a",), touches=[0], offsets=[0, 0, 1], conversions=[1, 1])
    with pytest.raises(PathSetError, match="unknown channel"):
        PathSet.from_arrays(channels=("a",), touches=[1], offsets=[0, 1], conversions=[1])
    with pytest.raises(PathSetError, match="unique"):
        PathSet.from_arrays(channels=("a", "a"), touches=[1], offsets=[0, 1], conversions=[1])


def test_from_paths_needs_times_on_all_paths_or_none() -> None:
    with pytest.raises(PathSetError, match="every path or no path"):
        PathSet.from_paths([Path(("a",), 1, touch_times=(1.0,)), Path(("b",), 1)])


def test_from_arrays_does_not_freeze_the_callers_arrays() -> None:
    conversions = np.array([1.0, 2.0])

    PathSet.from_strings(["a", "b"], conversions=conversions)

    conversions[0] = 3.0  # still writable
