"""Offline mode: a deterministic, grounded answer when no language model is configured.

The question's intent picks the tools (the same ones the model would call); the answer is
written from their output, so every figure is the business's own, and from knowledge
retrieved for the question, cited like a model would. It says plainly that it is offline.
"""

import re
from collections.abc import AsyncIterator, Callable
from typing import Any

from app.agent.citations import CitationFilter, marker
from app.agent.events import TextDelta, ToolRunEvent, TurnDone, TurnEvent, TurnResult
from app.agent.knowledge.bm25 import analyze
from app.agent.retrieval.base import TOP_K
from app.agent.tools import (
    BusinessContext,
    ComponentBreakdown,
    FundingOptionSummary,
    KnowledgeResults,
    MetricSummary,
    ReadinessBreakdown,
    RecommendationList,
    ToolContext,
    ToolRun,
    execute,
)
from app.core.money import format_money
from app.core.text import format_percent
from app.users.service import BusinessAccess

MODE = "offline"
NOTE = (
    "_No language model is configured on this server, so this answer was assembled "
    "directly from your Vaultra data and the knowledge base (offline mode)._"
)

# Phrases naming a funding product; removed before other intents are matched, so
# "revenue-based financing" is not also a question about revenue.
_PRODUCTS: dict[str, tuple[str, ...]] = {
    "merchant_cash_advance": ("merchant cash advance", "cash advance", "mca", "stripe capital"),
    "revenue_based_financing": ("revenue-based financing", "revenue based financing", "rbf"),
    "bank_line_of_credit": ("line of credit", "credit line", "bank loan", "loc"),
    "sba_term_loan": ("sba", "term loan"),
}
_SCORE_WORDS = ("score", "readiness", "tier", "rating")
_DROP_WORDS = ("drop", "fell", "fall", "went down", "declin", "decreas", "lower", "worse")
_INTENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("disputes", ("chargeback", "dispute", "fraud")),
    ("refunds", ("refund",)),
    ("payouts", ("payout", "deposit", "transfer", "reserve", "paid out")),
    (
        "funding",
        ("eligib", "qualif", "financ", "loan", "capital", "advance", "lender", "borrow", "apply"),
    ),
    ("revenue", ("revenue", "growth", "grow", "volatil", "stabl", "seasonal", "sales", "income")),
    ("concentration", ("customer", "concentration", "client")),
    ("recommendations", ("recommend", "improve", "what should", "next step", "action", "fix")),
    ("context", ("my business", "profile", "industry", "about my company")),
    ("readiness", ("score", "hurt", "readiness", "ready", "tier", "weak", "strength")),
)
MAX_SECTIONS = 3
# Shorter "sentences" are usually list labels or fragments, not advice.
MIN_SENTENCE = 40
_LIST_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s+")
# Words added to the knowledge search for each intent.
_TOPICS: dict[str, str] = {
    "readiness": "readiness score components helps hurts",
    "score_drop": "readiness score trend components",
    "disputes": "reduce chargebacks dispute ratio",
    "refunds": "refund rate refund before a dispute",
    "payouts": "payout failures reliability",
    "revenue": "revenue stability volatility growth",
    "concentration": "customer concentration diversification",
    "funding": "lender eligibility criteria",
}
# What to look up when a score component hurts.
_COMPONENT_TOPICS: dict[str, str] = {
    "history": "processing history months",
    "revenue": "monthly revenue level",
    "consistency": "stabilize revenue volatility",
    "growth": "revenue growth decline",
    "disputes": "reduce chargebacks",
    "refunds": "refunds before a dispute",
    "payouts": "failed payouts bank details",
    "concentration": "customer concentration diversification",
}

# Which tools each intent reads.
_NEEDS: dict[str, tuple[str, ...]] = {
    "readiness": ("get_readiness_breakdown",),
    "score_drop": ("get_readiness_breakdown",),
    "funding": ("get_readiness_breakdown",),
    "disputes": ("get_readiness_breakdown", "get_metric_summary"),
    "refunds": ("get_readiness_breakdown", "get_metric_summary"),
    "revenue": ("get_readiness_breakdown", "get_metric_summary"),
    "payouts": ("get_readiness_breakdown", "get_metric_summary"),
    "concentration": ("get_readiness_breakdown", "get_metric_summary"),
    "recommendations": ("get_readiness_breakdown", "get_top_recommendations"),
    "context": ("get_business_context",),
}
_TOOL_ORDER = (
    "get_business_context",
    "get_readiness_breakdown",
    "get_metric_summary",
    "get_top_recommendations",
)


def detect_intents(question: str) -> list[str]:
    text = question.lower()
    intents: list[str] = []
    if any(w in text for w in _DROP_WORDS) and any(w in text for w in _SCORE_WORDS):
        intents.append("score_drop")
    if any(_mentions(text, phrase) for phrases in _PRODUCTS.values() for phrase in phrases):
        intents.append("funding")
    for phrases in _PRODUCTS.values():
        for phrase in phrases:
            text = re.sub(rf"\b{re.escape(phrase)}\b", " ", text)
    for intent, words in _INTENTS:
        if intent not in intents and any(word in text for word in words):
            intents.append(intent)
    if "score_drop" in intents and "readiness" in intents:
        intents.remove("readiness")
    return intents[:MAX_SECTIONS] or ["readiness"]


def knowledge_query(question: str, intents: list[str], facts: "_Facts") -> str:
    """The question, plus the topics its intents (and what hurts the score) point at."""
    parts = [question, *(_TOPICS.get(intent, "") for intent in intents)]
    if facts.readiness is not None and {"readiness", "score_drop", "recommendations"} & set(
        intents
    ):
        hurting = [c.name for c in facts.readiness.components if c.status == "hurts"]
        parts += [_COMPONENT_TOPICS.get(name, "") for name in hurting[:2]]
    return " ".join(part for part in parts if part)[:500]


def requested_products(question: str) -> list[str]:
    text = question.lower()
    return [kind for kind, phrases in _PRODUCTS.items() if any(_mentions(text, p) for p in phrases)]


def _mentions(text: str, phrase: str) -> bool:
    # Short acronyms ("mca", "loc") must be whole words.
    return re.search(rf"\b{re.escape(phrase)}\b", text) is not None


async def answer(
    ctx: ToolContext, business: BusinessAccess, question: str
) -> AsyncIterator[TurnEvent]:
    intents = detect_intents(question)
    wanted = {tool for intent in intents for tool in _NEEDS[intent]}
    runs: list[ToolRun] = []
    outputs: dict[str, dict[str, Any]] = {}
    names = [name for name in _TOOL_ORDER if name in wanted]
    for number, name in enumerate([*names, "search_knowledge"], 1):
        arguments: dict[str, Any] = {"business_id": str(business.id)}
        if name == "search_knowledge":
            # Asked after the business's tools, so the search can aim at what hurts.
            query = knowledge_query(question, intents, _Facts(outputs))
            arguments = {"query": query, "k": TOP_K}
        run = await execute(ctx, name, arguments, call_id=f"offline-{number}", iteration=1)
        runs.append(run)
        if run.output is not None:
            outputs[name] = run.output
        yield ToolRunEvent(run)

    facts = _Facts(outputs)
    paragraphs: list[str] = []
    for intent in intents:
        paragraphs.extend(_SECTIONS[intent](facts, question))
    paragraphs.extend(_knowledge(facts))
    paragraphs.append(NOTE)

    citations = CitationFilter(ctx.retrieved)
    parts: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        text = citations.feed(paragraph + ("\n\n" if index < len(paragraphs) - 1 else ""))
        parts.append(text)
        yield TextDelta(text)
    if tail := citations.finish():
        parts.append(tail)
        yield TextDelta(tail)
    yield TurnDone(
        TurnResult(
            text="".join(parts).strip(),
            mode=MODE,
            citations=citations.citations,
            dropped_citations=citations.dropped,
            tool_runs=runs,
        )
    )


class _Facts:
    """Tool outputs, parsed back into their models."""

    def __init__(self, outputs: dict[str, dict[str, Any]]) -> None:
        self.readiness = _parse(ReadinessBreakdown, outputs.get("get_readiness_breakdown"))
        self.metrics = _parse(MetricSummary, outputs.get("get_metric_summary"))
        self.recommendations = _parse(RecommendationList, outputs.get("get_top_recommendations"))
        self.context = _parse(BusinessContext, outputs.get("get_business_context"))
        self.knowledge = _parse(KnowledgeResults, outputs.get("search_knowledge"))

    def component(self, name: str) -> ComponentBreakdown | None:
        if self.readiness is None:
            return None
        return next((c for c in self.readiness.components if c.name == name), None)

    def metric(self, name: str) -> str:
        """A metric formatted for people, or "not available yet"."""
        entry = self.metrics.metrics.get(name) if self.metrics else None
        if entry is None or entry.value is None:
            return "not available yet"
        value = entry.value
        if entry.unit == "money":
            return format_money(value, entry.currency or "usd")
        if entry.unit == "ratio":
            return format_percent(value, signed=name.startswith("growth"))
        if entry.unit == "cv":
            return f"{value:.2f}"
        if entry.unit == "days":
            return f"{value:.1f} days"
        return f"{value:,}" if isinstance(value, int | float) else str(value)

    def raw(self, name: str) -> Any:
        entry = self.metrics.metrics.get(name) if self.metrics else None
        return entry.value if entry is not None else None


def _parse(model: Any, output: dict[str, Any] | None) -> Any:
    return model.model_validate(output) if output is not None else None


def _no_score(facts: _Facts) -> list[str] | None:
    if facts.readiness is None:
        return ["I could not read your readiness score just now."]
    if not facts.readiness.available:
        return [facts.readiness.message or "Your readiness score is not available yet."]
    return None


def _component_line(c: ComponentBreakdown) -> str:
    return (
        f"- **{c.label}**: {c.display}, scoring {c.score:.0f}/100 (weight {c.weight:.0%}, "
        f"costing {c.points_lost:g} points). {c.explanation}"
    )


def _words(value: str) -> str:
    return value.replace("_", " ")


def _score_line(r: ReadinessBreakdown) -> str:
    tier = (r.tier or "").replace("_", " ")
    trend = (r.score_trend or "insufficient_history").replace("_", " ")
    line = (
        f"Your funding readiness score is **{r.score}/100** ({tier}); 30-day score trend: {trend}."
    )
    if r.revenue_trend_explanation:
        line += f" {r.revenue_trend_explanation}"
    if r.capped_by:
        capping = next((c for c in r.components if c.name == r.capped_by), None)
        if capping is not None:
            line += f" It is capped by {capping.label.lower()}: until that improves, the "
            line += f"score cannot rise above {capping.caps_score_at}."
        elif r.capped_by == "funding_eligibility":
            line += (
                " It is capped by the tier rule: a tier needs eligible funding products "
                "(ready: 1, strong: 2)."
            )
        elif r.capped_by == "revenue_decline":
            line += " It is capped because revenue is in a sustained decline."
    return line


def _readiness(facts: _Facts, _question: str) -> list[str]:
    if (missing := _no_score(facts)) is not None:
        return missing
    r = facts.readiness
    assert r is not None
    hurting = [c for c in r.components if c.status == "hurts"] or r.components[:2]
    lines = [_score_line(r), "What is holding it back most:"]
    lines.append("\n".join(_component_line(c) for c in hurting[:3]))
    helping = [c for c in r.components if c.status == "helps"]
    if helping:
        lines.append(
            "What helps: " + "; ".join(f"{c.label.lower()} ({c.display})" for c in helping) + "."
        )
    return lines


def _component_moves(
    r: ReadinessBreakdown, latest: dict[str, float], previous: dict[str, float]
) -> list[str]:
    """The components whose change moved the score most, largest first."""
    moves = []
    for component in r.components:
        if component.name in latest and component.name in previous:
            change = latest[component.name] - previous[component.name]
            impact = component.weight * change
            if abs(impact) >= 0.5:
                moves.append((impact, component, previous[component.name], latest[component.name]))
    moves.sort(key=lambda move: move[0])
    return [
        f"- **{c.label}**: {before:.0f} → {after:.0f}/100 ({impact:+.1f} points)"
        for impact, c, before, after in moves[:4]
    ]


def _score_drop(facts: _Facts, _question: str) -> list[str]:
    if (missing := _no_score(facts)) is not None:
        return missing
    r = facts.readiness
    assert r is not None
    lines: list[str] = []
    if len(r.history) >= 2:
        latest, previous = r.history[0], r.history[1]
        delta = latest.score - previous.score
        moved = "dropped" if delta < 0 else "rose" if delta > 0 else "held"
        lines.append(
            f"Your score {moved} from {previous.score} ({previous.computed_at:%b %d, %Y}) to "
            f"{latest.score} ({latest.computed_at:%b %d, %Y}), {delta:+d} points; "
            f"the 30-day score trend is {_words(r.score_trend or 'insufficient_history')}."
        )
        moves = _component_moves(r, latest.component_scores, previous.component_scores)
        if moves:
            lines.append("What moved since then (in points of the overall score):")
            lines.append("\n".join(moves))
        low = min(r.history, key=lambda point: point.score)
        high = max(r.history, key=lambda point: point.score)
        if high.score != low.score:
            lines.append(
                f"Over your last {len(r.history)} scores it ranged from {low.score} to "
                f"{high.score}."
            )
    else:
        lines.append(
            f"I only have one stored score ({r.score}/100), so there is no earlier score to "
            "compare with yet."
        )
    if r.capped_by:
        lines.append(_score_line(r))
    hurting = [c for c in r.components if c.status == "hurts"] or r.components[:2]
    lines.append("The components pulling it down now:")
    lines.append("\n".join(_component_line(c) for c in hurting[:3]))
    return lines


def _metric_section(
    component: str, intro: str, metrics: tuple[tuple[str, str], ...]
) -> Callable[[_Facts, str], list[str]]:
    def section(facts: _Facts, _question: str) -> list[str]:
        lines = [intro]
        c = facts.component(component)
        if c is not None:
            lines.append(_component_line(c))
        if facts.metrics is not None and facts.metrics.available:
            lines.append(
                "Your numbers: "
                + "; ".join(f"{label} {facts.metric(name)}" for name, label in metrics)
                + "."
            )
        elif facts.metrics is not None:
            lines.append(facts.metrics.message or "Your metrics are not available yet.")
        return lines

    return section


def _disputes(facts: _Facts, question: str) -> list[str]:
    lines = _metric_section(
        "disputes",
        "**Chargebacks (disputes)**",
        (
            ("dispute_ratio_visa_month", "Visa dispute ratio this month"),
            ("dispute_ratio_mc_month", "Mastercard dispute ratio this month"),
            ("dispute_ratio_visa_3m", "Visa ratio over 3 months"),
            ("disputes_count_month", "disputes this month"),
            ("disputes_count_3m", "disputes in 3 months"),
        ),
    )(facts, question)
    reasons = facts.raw("disputes_by_reason_90d")
    if isinstance(reasons, dict) and reasons:
        top = sorted(reasons.items(), key=lambda item: -item[1])[:3]
        lines.append(
            "Most common reasons (90 days): "
            + ", ".join(f"{reason.replace('_', ' ')} ({count})" for reason, count in top)
            + "."
        )
    return lines


def _funding(facts: _Facts, question: str) -> list[str]:
    if (missing := _no_score(facts)) is not None:
        return missing
    r = facts.readiness
    assert r is not None
    wanted = requested_products(question)
    options = [o for o in r.funding_options if not wanted or o.type in wanted]
    lines = ["**Funding eligibility** (from the criteria Stripe data can show):"]
    lines.append("\n".join(_option_line(option) for option in options))
    return lines


def _option_line(option: FundingOptionSummary) -> str:
    if option.eligible:
        return f"- **{option.name}**: you meet the measurable criteria."
    gaps = " ".join(item.message for item in option.unmet)
    return f"- **{option.name}**: not yet. {gaps}"


def _recommendations(facts: _Facts, _question: str) -> list[str]:
    recs = facts.recommendations.recommendations if facts.recommendations else []
    if not recs:
        return ["You have no open recommendations right now."]
    lines = ["**Your top recommendations:**"]
    lines.append(
        "\n".join(
            f"{n}. **{rec.title}** ({rec.priority} priority"
            + (f", about {rec.impact:+d} points" if rec.impact > 0 else "")
            + f"): {rec.body}"
            for n, rec in enumerate(recs, 1)
        )
    )
    return lines


def _context(facts: _Facts, _question: str) -> list[str]:
    c = facts.context
    if c is None:
        return ["I could not read your business profile just now."]
    details = [
        f"industry {c.industry}" if c.industry else None,
        f"based in {c.country}" if c.country else None,
        f"founded {c.founded_at}" if c.founded_at else None,
        f"reporting in {c.currency.upper()}",
    ]
    return [
        f"**{c.name}**: " + ", ".join(d for d in details if d) + f"; you are its {c.your_role}."
    ]


def _knowledge(facts: _Facts) -> list[str]:
    if facts.knowledge is None:
        return []
    terms = set(analyze(facts.knowledge.query))
    seen: set[str] = set()
    lines: list[str] = []
    for excerpt in facts.knowledge.results:
        if excerpt.doc_id in seen:
            continue
        seen.add(excerpt.doc_id)
        lines.append(f"- {_best_sentence(excerpt.text, terms)} {marker(excerpt.doc_id)}")
        if len(lines) == 2:
            break
    return ["From the knowledge base:", "\n".join(lines)] if lines else []


def _best_sentence(text: str, terms: set[str], limit: int = 320) -> str:
    """The sentence of a chunk that shares the most search terms (tables and code skipped)."""
    body = text.split("\n\n", 1)[-1]
    blocks: list[str] = []
    in_code = False
    for line in body.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_code = not in_code
            continue
        if in_code or not stripped or "|" in stripped or stripped.startswith("#"):
            blocks.append("")
            continue
        item = _LIST_ITEM.match(stripped)
        if item or not blocks or not blocks[-1]:
            blocks.append(stripped[item.end() :] if item else stripped)
        else:
            blocks[-1] += " " + stripped  # a wrapped line continues its paragraph
    sentences = [
        sentence.strip()
        for block in blocks
        for sentence in re.split(r"(?<=[.!?])\s+", re.sub(r"[*_`]+", "", block))
        if len(sentence.strip()) >= MIN_SENTENCE
    ]
    if not sentences:
        return re.sub(r"\s+", " ", body)[:limit]
    best = max(sentences, key=lambda sentence: len(terms & set(analyze(sentence))))
    return best if len(best) <= limit else best[:limit].rsplit(" ", 1)[0] + "…"


_SECTIONS: dict[str, Callable[[_Facts, str], list[str]]] = {
    "readiness": _readiness,
    "score_drop": _score_drop,
    "funding": _funding,
    "disputes": _disputes,
    "refunds": _metric_section(
        "refunds",
        "**Refunds**",
        (
            ("refund_rate_amount", "refund rate by amount (90 days)"),
            ("refund_rate_count", "by count"),
        ),
    ),
    "revenue": _metric_section(
        "consistency",
        "**Revenue and stability**",
        (
            ("revenue_30d", "net revenue in the last 30 days"),
            ("revenue_90d", "last 90 days"),
            ("avg_monthly_revenue_3m", "average month (last 3 full months)"),
            ("growth_mom", "month-over-month growth"),
            ("growth_3m", "3-month growth"),
            ("volatility_monthly_cv", "monthly volatility (coefficient of variation)"),
        ),
    ),
    "payouts": _metric_section(
        "payouts",
        "**Payouts**",
        (
            ("payouts_count_90d", "payouts in 90 days"),
            ("payout_failure_rate_90d", "failure rate"),
            ("payout_avg_arrival_delay_days", "average time to arrive"),
        ),
    ),
    "concentration": _metric_section(
        "concentration",
        "**Customer concentration**",
        (
            ("top_customer_share", "top customer's share of revenue"),
            ("top5_customer_share", "top 5 customers' share"),
            ("unique_customers_365d", "paying customers in 12 months"),
        ),
    ),
    "recommendations": _recommendations,
    "context": _context,
}
