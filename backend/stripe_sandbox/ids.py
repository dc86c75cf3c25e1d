"""Stripe-shaped, deterministic identifiers.

Sequence-based ids start with the creation time and a per-merchant counter, so that ordering by
id (the tie-breaker of every list) follows creation order, and two sandboxes built from the same
seed produce the same ids. Ids are minted by the million, hence the lookup tables.
"""

import hashlib

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # ASCII order
_PAIRS = tuple(a + b for a in ALPHABET for b in ALPHABET)
_TRIPLES = tuple(p + c for p in _PAIRS for c in ALPHABET)
_TRIPLE = 62**3


def b62(n: int, width: int) -> str:
    """Fixed-width base62, so that string order equals numeric order."""
    out = ""
    while width >= 3:
        n, r = divmod(n, _TRIPLE)
        out = _TRIPLES[r] + out
        width -= 3
    while width:
        n, r = divmod(n, 62)
        out = ALPHABET[r] + out
        width -= 1
    if n:
        raise ValueError("number too large for width")
    return out


def digest_int(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=32).digest(), "big")


def digest62(text: str, width: int) -> str:
    return b62(digest_int(text) % (62**width), width)


_NOISE = tuple(digest62(f"noise:{i}", 9) for i in range(4096))


def noise(n: int, width: int) -> str:
    """Up to 18 random-looking characters derived from n (not unique on their own)."""
    return (_NOISE[n & 4095] + _NOISE[(n >> 12) & 4095])[:width]


def seq_id(prefix: str, created: int, seq: int, tag: str) -> str:
    """24 characters after the prefix, like Stripe's: time (6), merchant tag (4), counter (5),
    noise (9). Valid for created < 62**6 and seq < 62**5."""
    t_hi, t_lo = divmod(created, _TRIPLE)
    s_hi, s_lo = divmod(seq, _TRIPLE)
    counter = _PAIRS[s_hi] + _TRIPLES[s_lo]
    return f"{prefix}_{_TRIPLES[t_hi]}{_TRIPLES[t_lo]}{tag}{counter}{_NOISE[seq & 4095]}"


def indexed_id(prefix: str, tag: str, index: int) -> str:
    """14 characters after the prefix (like `cus_QXg1o8vcGmoR32`) for per-customer objects."""
    hi, lo = divmod(index, _TRIPLE)
    return f"{prefix}_{tag}{_PAIRS[hi]}{_TRIPLES[lo]}{noise(index + len(prefix), 5)}"


def account_id(seed: int, key: str) -> str:
    return "acct_1" + digest62(f"account:{seed}:{key}", 15)


def event_id(created: int, tag: str, source: str) -> str:
    return f"evt_{b62(created, 6)}{tag}{digest62(source, 14)}"
