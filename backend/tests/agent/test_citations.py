"""Only knowledge retrieved in the turn may be cited, even when the text arrives in pieces."""

from app.agent.citations import CitationFilter
from app.agent.retrieval import RetrievedChunk


def chunk(chunk_id: str, score: float = 1.0) -> RetrievedChunk:
    doc_id = chunk_id.split("#")[0]
    return RetrievedChunk(
        chunk_id=chunk_id, doc_id=doc_id, text="...", score=score, source="s", category="c"
    )


RETRIEVED = [
    chunk("payout-timing#2", 0.5),
    chunk("payout-timing#4", 0.9),
    chunk("reducing-chargebacks#1"),
]
TEXT = (
    "Fix bank details [Source: payout-timing] and answer disputes "
    "[source : reducing-chargebacks#1]; ignore [Source: invented-doc]. "
    "Arrays like [1, 2] stay, as does [Source payout-timing]. Both: [Source: payout-timing, nope]."
)
CLEAN = (
    "Fix bank details [Source: payout-timing] and answer disputes "
    "[Source: reducing-chargebacks]; ignore . "
    "Arrays like [1, 2] stay, as does [Source payout-timing]. Both: [Source: payout-timing]."
)


def test_whole_text() -> None:
    citations = CitationFilter(RETRIEVED)
    out = citations.feed(TEXT) + citations.finish()
    assert out == CLEAN
    assert citations.dropped == ["invented-doc", "nope"]
    # One citation per document, naming its best retrieved chunk (or the one cited).
    assert [(c.doc_id, c.chunk_id) for c in citations.citations] == [
        ("payout-timing", "payout-timing#4"),
        ("reducing-chargebacks", "reducing-chargebacks#1"),
    ]


def test_any_split_gives_the_same_text() -> None:
    for size in (1, 2, 3, 7, 13):
        citations = CitationFilter(RETRIEVED)
        pieces = [citations.feed(TEXT[i : i + size]) for i in range(0, len(TEXT), size)]
        assert "".join(pieces) + citations.finish() == CLEAN, size


def test_nothing_retrieved_means_nothing_citable() -> None:
    citations = CitationFilter()
    assert citations.feed("See [Source: payout-timing].") == "See ."
    assert citations.dropped == ["payout-timing"]
    assert citations.citations == []


def test_sources_found_mid_turn_become_citable() -> None:
    citations = CitationFilter()
    citations.add([chunk("revenue-stability#0")])
    assert citations.feed("[Source: revenue-stability]") == "[Source: revenue-stability]"


def test_unfinished_marker_is_released_as_text() -> None:
    citations = CitationFilter(RETRIEVED)
    assert citations.feed("Trailing [Sour") == "Trailing "
    assert citations.finish() == "[Sour"
    assert citations.feed("[" + "x" * 400) == "[" + "x" * 400
