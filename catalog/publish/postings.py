"""Compact text encodings of sorted document-id lists, decoded by ``site/static/search.js``.

* ``""``                     no documents
* ``"d" + VLQ deltas``       sparse lists: each gap (first: id + 1) as base64url digits,
                             5 bits each, low digits first, 32 added on all but the last digit
* ``"b" + VLQ start + "."``  dense lists: a bitmap from ``start``, one bit per id, least
  ``+ base64url bytes``      significant bit first, base64url without padding

Sort orders (permutations, which no gap coding shrinks) are fixed-width base64url numbers.

The shorter form is written. A bitmap bounds any list at N/6 characters for N documents.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_SMALL: list[str] = []


def _vlq(n: int) -> str:
    out = []
    while True:
        low = n & 31
        n >>= 5
        if n:
            out.append(ALPHABET[low | 32])
        else:
            out.append(ALPHABET[low])
            return "".join(out)


_SMALL = [_vlq(i) for i in range(1 << 15)]


def vlq(n: int) -> str:
    """One non-negative integer as base64url VLQ digits."""
    return _SMALL[n] if n < 32768 else _vlq(n)


def decode_vlq(text: str) -> list[int]:
    """Every integer in a run of VLQ digits (the inverse of joining ``vlq`` results)."""
    out, value, shift = [], 0, 0
    for ch in text:
        digit = ALPHABET.index(ch)
        value |= (digit & 31) << shift
        if digit & 32:
            shift += 5
        else:
            out.append(value)
            value, shift = 0, 0
    return out


def encode(ids: Sequence[int]) -> str:
    """A sorted, duplicate-free list of ids in its shortest form."""
    if not ids:
        return ""
    small = _SMALL
    prev = -1
    parts = []
    for i in ids:
        gap = i - prev
        parts.append(small[gap] if gap < 32768 else _vlq(gap))
        prev = i
    sparse = "d" + "".join(parts)
    start = ids[0]
    span = ids[-1] - start + 1
    if span // 6 + 8 >= len(sparse):
        return sparse
    bits = bytearray((span + 7) // 8)
    for i in ids:
        j = i - start
        bits[j >> 3] |= 1 << (j & 7)
    dense = "b" + vlq(start) + "." + base64.urlsafe_b64encode(bytes(bits)).decode().rstrip("=")
    return dense if len(dense) < len(sparse) else sparse


def decode(text: str) -> list[int]:
    """The ids of an encoded list (used by tests and incremental updates)."""
    if not text:
        return []
    if text[0] == "d":
        out, cur = [], -1
        for gap in decode_vlq(text[1:]):
            cur += gap
            out.append(cur)
        return out
    head, _, body = text[1:].partition(".")
    start = decode_vlq(head)[0]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return [start + (j << 3) + b for j, byte in enumerate(raw) for b in range(8) if byte >> b & 1]


def encode_order(ids: Sequence[int], digits: int) -> str:
    """Ids (a stretch of a sort order) as fixed-width base64url numbers, ``digits`` each."""
    a = ALPHABET
    if digits == 3:
        return "".join(a[i >> 12 & 63] + a[i >> 6 & 63] + a[i & 63] for i in ids)
    return "".join("".join(a[i >> (6 * k) & 63] for k in range(digits - 1, -1, -1)) for i in ids)


def decode_order(text: str, digits: int) -> list[int]:
    """The inverse of encode_order."""
    out = []
    for start in range(0, len(text), digits):
        v = 0
        for ch in text[start : start + digits]:
            v = v * 64 + ALPHABET.index(ch)
        out.append(v)
    return out
