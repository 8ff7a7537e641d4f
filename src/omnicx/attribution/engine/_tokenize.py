"""Turn path strings ("a > b > c") into channel ids, fast.

A million paths hold several million touches, and creating one Python string per touch costs more than every
model together. So paths are joined, a chunk of rows at a time, into one UTF-8 buffer and cut with numpy:
touches are the byte ranges between separators, each range is read as little-endian 64-bit words (zero past
its end: with the length, an exact encoding), hashed, and looked up in a table of slots shared by all chunks.
Every touch is checked word for word against the first touch stored in its slot, so a slot collision is
detected, never believed; it sends the whole input down an exact route that groups full 64-bit hashes (and
checks them the same way) and, should even that fail, through plain Python. Chunks keep the working set in
cache. Whitespace around names is trimmed once per distinct raw name, not once per touch.
`tokenize_slow` is the plain-Python reference the fast route is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from omnicx.attribution.errors import PathSetError

IntArray = npt.NDArray[np.int32]
IndexArray = npt.NDArray[np.int64]
Words = list[npt.NDArray[np.uint64]]

#: Characters trimmed around channel names. ASCII only, like the path files the peers read.
WHITESPACE = " \t\n\r\x0b\x0c"

_UNIT_SEPARATOR = "\x1f"
_NEWLINE = 10
_WORD_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=np.uint64)
_SLOT_BITS = 20  # at most 2^20 slots (8 MB per table); fewer for small inputs, which have few names
_MIN_SLOT_BITS = 12
_CHUNK_ROWS = 1 << 13
_GOLDEN, _MULTIPLIER, _SHIFT = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(31)


@dataclass(frozen=True)
class Tokens:
    """Channel names sorted, one id per touch, and `offsets[i]:offsets[i + 1]` the touches of path `i`."""

    names: tuple[str, ...]
    ids: IntArray
    offsets: IndexArray


def check_separator(sep: str) -> None:
    """A separator must be visible text: whitespace is trimmed around channels, newlines split rows."""
    if not sep or sep.strip(WHITESPACE) != sep:
        raise PathSetError(
            f"the path separator {sep!r} must be non-empty and not start or end with whitespace"
        )


def tokenize(paths: list[str], sep: str = ">") -> Tokens:
    """Split every path on `sep`, trim ASCII whitespace around each channel and number channels by name.

    A newline inside a path counts as a space.
    """
    check_separator(sep)
    if not paths:
        return Tokens((), np.zeros(0, np.int32), np.zeros(1, np.int64))
    if len(sep.encode()) != 1:
        if any(_UNIT_SEPARATOR in p for p in paths):
            return tokenize_slow(paths, sep)
        paths = [p.replace(sep, _UNIT_SEPARATOR) for p in paths]
        sep = _UNIT_SEPARATOR
    bits = min(_SLOT_BITS, max(_MIN_SLOT_BITS, len(paths).bit_length() + 3))
    return _ChunkedTokenizer(ord(sep), bits).run(paths) or _tokenize_whole(paths, ord(sep))


def tokenize_slow(paths: list[str], sep: str = ">") -> Tokens:
    """Reference tokenizer in plain Python; same output as `tokenize`, one string per touch."""
    check_separator(sep)
    raw: list[str] = []
    offsets = [0]
    for row, path in enumerate(paths):
        parts = [part.strip(WHITESPACE) for part in path.replace("\n", " ").split(sep)]
        if parts == [""]:
            raise PathSetError("empty path", row=row, column="path")
        if "" in parts:
            raise PathSetError(
                f"empty channel name at position {parts.index('') + 1}", row=row, column="path"
            )
        raw.extend(parts)
        offsets.append(len(raw))
    names = tuple(sorted(set(raw)))
    index = {name: i for i, name in enumerate(names)}
    ids = np.fromiter((index[name] for name in raw), dtype=np.int32, count=len(raw))
    return Tokens(names, ids, np.asarray(offsets, dtype=np.int64))


@dataclass
class _Cut:
    """One chunk of rows cut into raw touches (whitespace included): bytes, touch starts, lengths, touches per
    row."""

    buffer: bytes
    padded: npt.NDArray[np.uint8]
    starts: IndexArray
    lengths: IndexArray
    row_lengths: IndexArray


def _cut(rows: list[str], sep_byte: int) -> _Cut:
    buffer = "\n".join(rows).encode("utf-8")
    size = len(buffer)
    body = np.frombuffer(buffer, dtype=np.uint8)
    delimiters = np.flatnonzero((body == sep_byte) | (body == _NEWLINE))
    row_ends = np.flatnonzero(body[delimiters] == _NEWLINE)
    if row_ends.size != len(rows) - 1:
        return _cut([r.replace("\n", " ") for r in rows], sep_byte)
    starts = np.empty(delimiters.size + 1, dtype=np.int64)
    starts[0] = 0
    starts[1:] = delimiters + 1
    lengths = np.empty_like(starts)
    lengths[:-1] = delimiters
    lengths[-1] = size
    lengths -= starts
    row_lengths = np.diff(np.concatenate(([-1], row_ends, [starts.size - 1])))
    # Zero padding wide enough to read every word of the longest touch from any start without a bounds check.
    padded = np.zeros(size + 8 * _word_count(lengths) + 8, dtype=np.uint8)
    padded[:size] = body
    return _Cut(buffer, padded, starts, lengths, row_lengths)


def _word_count(lengths: IndexArray) -> int:
    return (int(lengths.max()) + 7) // 8 if lengths.size else 0


def _raise_empty(token: int, offsets: IndexArray) -> None:
    row = int(np.searchsorted(offsets, token, side="right")) - 1
    if offsets[row + 1] - offsets[row] == 1:
        raise PathSetError("empty path", row=row, column="path")
    position = token - int(offsets[row]) + 1
    raise PathSetError(f"empty channel name at position {position}", row=row, column="path")


def _numbered(
    raw_names: list[str], token_slots: IndexArray, offsets: IndexArray, table_size: int, slots: IndexArray
) -> Tokens:
    """Trim the few distinct raw names, merge those equal once trimmed, and number touches by sorted name.

    Trimming names rather than touches costs one string operation per distinct name instead of several numpy
    passes over every touch.
    """
    trimmed = [name.strip(WHITESPACE) for name in raw_names]
    names = sorted(set(trimmed))
    index = {name: i for i, name in enumerate(names)}
    rank = np.full(table_size, -1, dtype=np.int32)
    rank[slots] = np.fromiter((index[t] for t in trimmed), dtype=np.int32, count=len(trimmed))
    ids = rank[token_slots]
    if names and names[0] == "":
        _raise_empty(int(np.flatnonzero(ids == 0)[0]), offsets)
    return Tokens(tuple(names), ids, offsets)


def _words(cut: _Cut) -> Words:
    """Bytes of each touch as little-endian 64-bit words, zero beyond its end."""
    unaligned = np.ndarray(shape=(cut.padded.size - 7,), dtype="<u8", buffer=cut.padded, strides=(1,))
    words = [unaligned[cut.starts] & _WORD_MASKS[np.minimum(cut.lengths, 8)]]
    for word in range(1, _word_count(cut.lengths)):
        remaining = np.clip(cut.lengths - 8 * word, 0, 8)
        words.append(unaligned[cut.starts + 8 * word] & _WORD_MASKS[remaining])
    return words


def _hash(words: Words, lengths: IndexArray) -> npt.NDArray[np.uint64]:
    digest = lengths.astype(np.uint64) * _GOLDEN
    for word in words:
        digest ^= word
        digest *= _MULTIPLIER
        digest ^= digest >> _SHIFT
    digest *= _GOLDEN
    return digest


@dataclass
class _ChunkedTokenizer:
    """The fast route: 2^bits slots, each holding the length and words of the first touch that hashed there."""

    sep_byte: int
    bits: int
    length: IndexArray = field(init=False)
    words: Words = field(init=False, default_factory=list)
    names: dict[int, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.length = np.full(1 << self.bits, -1, dtype=np.int64)

    def run(self, paths: list[str]) -> Tokens | None:
        """Tokens, or None when two different raw channel names share a slot (the caller then takes the exact
        route)."""
        slots: list[IndexArray] = []
        row_lengths: list[IndexArray] = []
        for first in range(0, len(paths), _CHUNK_ROWS):
            cut = _cut(paths[first : first + _CHUNK_ROWS], self.sep_byte)
            words = _words(cut)
            slot = (_hash(words, cut.lengths) >> np.uint64(64 - self.bits)).astype(np.int64)
            if not self._learn(cut, words, slot):
                return None
            slots.append(slot)
            row_lengths.append(cut.row_lengths)
        offsets = np.concatenate(([0], np.cumsum(np.concatenate(row_lengths)))).astype(np.int64)
        used = np.fromiter(self.names, dtype=np.int64, count=len(self.names))
        return _numbered(list(self.names.values()), np.concatenate(slots), offsets, 1 << self.bits, used)

    def _learn(self, cut: _Cut, words: Words, slot: IndexArray) -> bool:
        """Store touches that open a slot, then check that every touch equals its slot's stored touch."""
        while len(self.words) < len(words):
            self.words.append(np.zeros(1 << self.bits, dtype=np.uint64))
        fresh = np.flatnonzero(self.length[slot] < 0)
        if fresh.size:
            opened = slot[fresh]
            self.length[opened] = cut.lengths[fresh]
            for stored, word in zip(self.words, words, strict=False):
                stored[opened] = word[fresh]
            _, first = np.unique(opened, return_index=True)
            for i in fresh[first].tolist():
                start = int(cut.starts[i])
                self.names[int(slot[i])] = cut.buffer[start : start + int(cut.lengths[i])].decode("utf-8")
        if not np.array_equal(self.length[slot], cut.lengths):
            return False
        longer = self.words[len(words) :]
        return all(np.array_equal(s[slot], w) for s, w in zip(self.words, words, strict=False)) and not any(
            s[slot].any() for s in longer
        )


def _tokenize_whole(paths: list[str], sep_byte: int) -> Tokens:
    """The exact route: group touches by full 64-bit hash, check every group word for word, else Python."""
    cut = _cut(paths, sep_byte)
    words = _words(cut)
    _, first, group = np.unique(_hash(words, cut.lengths), return_index=True, return_inverse=True)
    same = np.array_equal(cut.lengths[first][group], cut.lengths) and all(
        np.array_equal(w[first][group], w) for w in words
    )
    if not same:
        return tokenize_slow(paths, chr(sep_byte))
    raw = [
        cut.buffer[s : s + n].decode("utf-8")
        for s, n in zip(cut.starts[first], cut.lengths[first], strict=True)
    ]
    offsets = np.concatenate(([0], np.cumsum(cut.row_lengths))).astype(np.int64)
    return _numbered(raw, group.ravel(), offsets, len(raw), np.arange(len(raw)))
