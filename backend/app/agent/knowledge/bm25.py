"""Local lexical retrieval: Okapi BM25 over knowledge chunks, in pure Python.

Search tokenization (:func:`analyze`): lowercase, split into words and numbers, keep
identifiers such as ``product_not_received`` whole *and* as their parts, drop English
stopwords, then apply a light suffix stemmer (:func:`stem`) so that "payouts", "payout" and
"paid out" style variants meet. Queries are expanded with a small domain synonym table
(:data:`SYNONYM_GROUPS`, e.g. chargeback <-> dispute, MCA <-> merchant cash advance); the
added terms get weight :data:`SYNONYM_WEIGHT` (0.5) so the user's own words dominate.

Scoring is classic Okapi BM25 with the non-negative (Lucene) idf::

    idf(t)  = ln(1 + (N - df + 0.5) / (df + 0.5))
    s(q, d) = sum_t w_t * idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * |d| / avgdl))

Persistence: the index is small (about 50 chunks for the whole knowledge base builds in a
few milliseconds), so the intended deployment is to **rebuild it in memory at startup**
from the stored chunk texts (``BM25Index.build(chunks)``). For callers that prefer storing
term statistics, :meth:`BM25Index.to_dict` / :meth:`BM25Index.from_dict` round-trip the
whole index through a JSON-compatible dict (``to_rows`` gives flat posting rows
``(term, chunk_id, tf)`` for a table).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

K1 = 1.5
B = 0.75
SYNONYM_WEIGHT = 0.5
FORMAT_VERSION = 1

# Words are split at apostrophes before this check, so contractions appear as their
# pieces ("don't" -> "don", "t").
_STOPWORDS_TEXT = """
    a about above after again against all am an and any are aren as at be because been
    before being below between both but by can cannot could couldn did didn do does doesn
    doing don down during each few for from further had hadn has hasn have haven having he
    her here hers herself him himself his how i if in into is isn it its itself just let me
    more most mustn my myself no nor not of off on once only or other ought our ours
    ourselves out over own same shan she should shouldn so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was wasn we were weren what when where which while who whom why will with won
    would wouldn you your yours yourself yourselves s t d ll m re ve also etc get got
    getting us via per e g eg ie vs shall may might must need needs want wants like really
    much many lot lots thing things way ways
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

# Words the stemmer must leave alone (short forms and terms where stripping would merge
# unrelated words).
_PROTECTED_TEXT = """
    business ss us gaap saas news less unless express process access always various
    gross loss series analysis basis status bonus thus yes this has was does is his its
"""
_PROTECTED = frozenset(_PROTECTED_TEXT.split())

_WORD_RE = re.compile(r"[a-z0-9]+(?:[_.][a-z0-9]+)*")
_NUMBER_RE = re.compile(r"^\d+(?:[.,]\d+)*$")


def stem(word: str) -> str:
    """Light, deterministic suffix stripper (plurals, -ing, -ed, -ly, trailing e)."""
    if len(word) <= 3 or not word.isalpha() or word in _PROTECTED:
        return word
    w = word
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sses", "ches", "shes", "xes", "zes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ing") and len(w) >= 7:
        w = w[:-3]
    elif w.endswith(("ed", "ly")) and len(w) >= 6:
        w = w[:-2]
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "lsz":
        w = w[:-1]  # stopped -> stopp -> stop
    if w.endswith("e") and len(w) >= 5:
        w = w[:-1]  # charge/charges/charged/charging -> charg
    if w.endswith("y") and len(w) >= 5:
        w = w[:-1] + "i"  # policy/policies -> polici
    return w


def _raw_words(text: str) -> list[str]:
    text = text.lower()
    words: list[str] = []
    for match in _WORD_RE.finditer(text):
        token = match.group(0).strip("._")
        if not token:
            continue
        if "_" in token or ("." in token and not _NUMBER_RE.match(token)):
            # Identifier (product_not_received) or dotted word: keep whole and parts.
            words.append(token)
            words.extend(p for p in re.split(r"[_.]", token) if p)
        else:
            words.append(token)
    return words


def analyze(text: str) -> list[str]:
    """Search terms of ``text``: lowercased, stopwords removed, stemmed."""
    return [stem(w) for w in _raw_words(text) if w not in STOPWORDS]


# Each group lists interchangeable phrasings; multi-word entries are phrases. Terms are
# analyzed with the same pipeline as the text, so write them in plain English.
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("chargeback", "dispute"),
    ("payout", "transfer", "deposit"),
    ("revenue", "sales", "income"),
    ("mca", "merchant cash advance"),
    ("rbf", "revenue based financing"),
    ("score", "readiness"),
    ("loan", "financing", "funding"),
    ("lender", "underwriter"),
    ("customer", "client"),
    ("churn", "cancellation", "attrition"),
    ("volatility", "variability", "fluctuation", "coefficient of variation", "cv"),
    ("concentration", "dependence", "reliance"),
    ("dscr", "debt service coverage"),
    ("sba", "small business administration"),
    ("loc", "line of credit", "credit line"),
    ("mrr", "monthly recurring revenue"),
    ("arr", "annual recurring revenue"),
    ("3ds", "3d secure"),
    ("fraud", "fraudulent", "unauthorized"),
    ("reserve", "holdback"),
    ("late", "delay", "delayed", "slow"),
    ("arrive", "arrival", "land"),
    ("refund", "reimburse"),
    ("descriptor", "bank statement"),
    ("seasonal", "seasonality"),
    ("prepay", "upfront"),
)


def _build_synonyms() -> list[tuple[tuple[str, ...], list[tuple[str, ...]]]]:
    table: list[tuple[tuple[str, ...], list[tuple[str, ...]]]] = []
    for group in SYNONYM_GROUPS:
        phrases = [tuple(analyze(entry)) for entry in group]
        phrases = [p for p in phrases if p]
        for phrase in phrases:
            table.append((phrase, [other for other in phrases if other != phrase]))
    return table


_SYNONYMS = _build_synonyms()


def _contains(seq: Sequence[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(seq[i : i + n]) == phrase for i in range(len(seq) - n + 1))


def expand_query(query: str) -> dict[str, float]:
    """Weighted query terms: the query's own terms at 1.0, synonyms at ``SYNONYM_WEIGHT``."""
    terms = analyze(query)
    weights: dict[str, float] = dict.fromkeys(terms, 1.0)
    for phrase, others in _SYNONYMS:
        if _contains(terms, phrase):
            for other in others:
                for term in other:
                    weights[term] = max(weights.get(term, 0.0), SYNONYM_WEIGHT)
    return weights


class ChunkLike(Protocol):
    """Anything with a ``chunk_id`` and a ``text`` (e.g. :class:`chunking.Chunk`)."""

    @property
    def chunk_id(self) -> str: ...

    @property
    def text(self) -> str: ...


@dataclass(frozen=True, slots=True)
class PostingRow:
    """One row of the inverted index: ``term`` occurs ``tf`` times in ``chunk_id``."""

    term: str
    chunk_id: str
    tf: int


class BM25Index:
    """Okapi BM25 index over chunks. Build with :meth:`build`, query with :meth:`search`."""

    def __init__(self, k1: float = K1, b: float = B) -> None:
        self.k1 = k1
        self.b = b
        self.chunk_ids: list[str] = []
        self.doc_lengths: list[int] = []
        self.postings: dict[str, list[tuple[int, int]]] = {}
        self.avgdl = 0.0
        self._idf: dict[str, float] = {}

    # -- building -------------------------------------------------------------------
    def build(self, chunks: Iterable[ChunkLike]) -> BM25Index:
        """(Re)build the index from ``chunks``; returns ``self`` for chaining."""
        return self.build_from_texts((c.chunk_id, c.text) for c in chunks)

    def build_from_texts(self, items: Iterable[tuple[str, str]]) -> BM25Index:
        """(Re)build from ``(chunk_id, text)`` pairs, e.g. rows read back from a database."""
        self.chunk_ids = []
        self.doc_lengths = []
        self.postings = {}
        for chunk_id, text in items:
            doc_index = len(self.chunk_ids)
            terms = analyze(text)
            self.chunk_ids.append(chunk_id)
            self.doc_lengths.append(len(terms))
            for term, tf in Counter(terms).items():
                self.postings.setdefault(term, []).append((doc_index, tf))
        if len(set(self.chunk_ids)) != len(self.chunk_ids):
            raise ValueError("duplicate chunk_id in BM25 index")
        self._finish()
        return self

    def _finish(self) -> None:
        n = len(self.chunk_ids)
        self.avgdl = (sum(self.doc_lengths) / n) if n else 0.0
        self._idf = {
            term: math.log(1.0 + (n - len(plist) + 0.5) / (len(plist) + 0.5))
            for term, plist in self.postings.items()
        }

    def __len__(self) -> int:
        return len(self.chunk_ids)

    # -- querying -------------------------------------------------------------------
    def search(self, query: str, k: int = 5) -> list[tuple[str, float]]:
        """Top ``k`` ``(chunk_id, score)`` pairs, best first; chunks scoring 0 are omitted.

        Ties are broken by index order (i.e. by the order chunks were given to ``build``).
        """
        if k <= 0 or not self.chunk_ids:
            return []
        scores: dict[int, float] = {}
        avgdl = self.avgdl or 1.0
        k1, b = self.k1, self.b
        for term, weight in expand_query(query).items():
            plist = self.postings.get(term)
            if not plist:
                continue
            idf = self._idf[term] * weight
            for doc_index, tf in plist:
                norm = k1 * (1.0 - b + b * self.doc_lengths[doc_index] / avgdl)
                scores[doc_index] = scores.get(doc_index, 0.0) + idf * tf * (k1 + 1.0) / (tf + norm)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
        return [(self.chunk_ids[i], score) for i, score in ranked if score > 0.0]

    # -- persistence ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible snapshot of the whole index (term statistics included)."""
        return {
            "version": FORMAT_VERSION,
            "k1": self.k1,
            "b": self.b,
            "chunk_ids": list(self.chunk_ids),
            "doc_lengths": list(self.doc_lengths),
            "postings": {t: [[i, tf] for i, tf in plist] for t, plist in self.postings.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BM25Index:
        """Inverse of :meth:`to_dict`."""
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported BM25 index format: {data.get('version')!r}")
        index = cls(k1=float(data["k1"]), b=float(data["b"]))
        index.chunk_ids = [str(c) for c in data["chunk_ids"]]
        index.doc_lengths = [int(n) for n in data["doc_lengths"]]
        index.postings = {
            str(t): [(int(i), int(tf)) for i, tf in plist] for t, plist in data["postings"].items()
        }
        index._finish()
        return index

    def to_rows(self) -> list[PostingRow]:
        """Flat posting rows ``(term, chunk_id, tf)`` (document lengths are derivable)."""
        return [
            PostingRow(term, self.chunk_ids[i], tf)
            for term, plist in sorted(self.postings.items())
            for i, tf in plist
        ]

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[PostingRow],
        chunk_ids: Sequence[str],
        k1: float = K1,
        b: float = B,
    ) -> BM25Index:
        """Rebuild from posting rows; ``chunk_ids`` fixes the chunk order (tie-breaking).

        Each chunk's length is the sum of its term frequencies, as in :meth:`build`.
        """
        index = cls(k1=k1, b=b)
        index.chunk_ids = list(chunk_ids)
        position = {cid: i for i, cid in enumerate(index.chunk_ids)}
        index.doc_lengths = [0] * len(index.chunk_ids)
        for row in rows:
            i = position[row.chunk_id]
            index.postings.setdefault(row.term, []).append((i, row.tf))
            index.doc_lengths[i] += row.tf
        for plist in index.postings.values():
            plist.sort()
        index._finish()
        return index
