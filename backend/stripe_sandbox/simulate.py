"""Day-by-day simulation of one merchant's Stripe activity.

Each simulated day draws from its own RNG (seeded by seed, merchant and day), and the few
running quantities (id counter, customer count, unpaid balance, dispute pacing) live in a
serialisable `SimState`, so a merchant's history is identical however the days are batched:
generated at once or through many `advance` calls.

The simulation decides each object's whole life when the object is born (a charge refunded 9
days later, a dispute won after 40 days, a payout failing on arrival) as a list of timestamped
versions; storage applies the versions that are in the past and parks the rest until the clock
reaches them.
"""

import json
import math
import random
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from stripe_sandbox import fake, objects
from stripe_sandbox.ids import account_id, b62, digest62, digest_int, indexed_id, noise, seq_id
from stripe_sandbox.merchants import MERCHANTS, MerchantProfile

DAY = 86400
HOUR = 3600
PAYOUT_DELAY_DAYS = 2

# (time, snapshot, event types emitted at that time, previous_attributes of those events)
Version = tuple[int, dict[str, Any], tuple[str, ...], dict[str, Any] | None]

_REFUND_REASONS = (("requested_by_customer", 0.7), ("duplicate", 0.1), ("fraudulent", 0.05))
_DECLINES = (("generic_decline", 0.6), ("insufficient_funds", 0.3), ("do_not_honor", 0.1))
_PAYOUT_FAILURES = (
    ("account_closed", "The bank account has been closed.", 0.35),
    ("insufficient_funds", "Your Stripe account has insufficient funds to cover the payout.", 0.3),
    ("no_account", "The bank account details on file are probably incorrect.", 0.15),
    ("account_frozen", "The bank account has been frozen.", 0.1),
    ("could_not_process", "The bank could not process this payout.", 0.1),
)
_EVIDENCE_TEXT = "Order fulfilled and delivered; customer confirmed receipt by email."


@dataclass(slots=True)
class Item:
    """One object and its timeline."""

    type: str
    id: str
    created: int
    amount: int | None
    versions: list[Version]


@dataclass
class SimState:
    next_day: int = 0
    seq: int = 0  # per-merchant id counter
    customers: int = 0
    dispute_debt: float = 0.0  # error diffusion: keeps dispute/payout-failure rates steady
    payout_failure_debt: float = 0.0
    carry: int = 0  # available balance not yet paid out (cents, may be negative)
    balance: dict[int, int] = field(default_factory=dict)  # day -> net becoming available

    def dumps(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def loads(cls, text: str) -> "SimState":
        raw = json.loads(text)
        raw["balance"] = {int(k): v for k, v in raw["balance"].items()}
        return cls(**raw)


def _weighted(rng: random.Random, options: tuple[tuple[Any, float], ...]) -> Any:
    roll = rng.random() * sum(w for _, w in options)
    for value, weight in options:
        roll -= weight
        if roll < 0:
            return value
    return options[-1][0]


class Merchant:
    """A merchant profile bound to one sandbox (seed, size, clock start)."""

    def __init__(self, profile: MerchantProfile, seed: int, size: int | None, start: int):
        self.profile = profile
        self.seed = seed
        self.size = size or profile.default_size
        self.account = account_id(seed, profile.key)
        index = next(i for i, m in enumerate(MERCHANTS) if m.key == profile.key)
        self.tag = b62(index, 1) + self.account[6:9]
        self.salt = digest_int(f"salt:{seed}:{profile.key}") % 100_003
        self.t0 = start - profile.history_days * DAY  # first simulated day starts here
        self.card_year = datetime.fromtimestamp(start, UTC).year
        self.bank_id = "ba_1" + digest62(f"bank:{seed}:{profile.key}", 23)
        self.product_id = "prod_" + digest62(f"product:{seed}:{profile.key}", 14)
        self.descriptor = objects.descriptor(profile)
        self._volume_rng = random.Random(f"{seed}:{profile.key}:volume")  # noqa: S311 (simulation)
        self._cumulative = [0.0]  # expected charges before day d, unscaled
        self._extend_weights(profile.history_days)
        # Scale so that the history holds exactly `size` charges (later days keep the scale).
        self._scale = self.size / self._cumulative[profile.history_days]

    def _extend_weights(self, days: int) -> None:
        p = self.profile
        growth = math.log1p(p.monthly_growth)
        while len(self._cumulative) <= days:
            d = len(self._cumulative) - 1
            date = datetime.fromtimestamp(self.t0 + d * DAY + DAY // 2, UTC)
            pos = (date.month - 1) + (date.day - 1) / 31 - 0.5  # month centres, interpolated
            lo = math.floor(pos)
            frac = pos - lo
            season = p.season[lo % 12] * (1 - frac) + p.season[(lo + 1) % 12] * frac
            w = math.exp(growth * d / 30.44) * season * p.weekday[date.weekday()]
            w *= math.exp(self._volume_rng.gauss(0, p.volume_noise))
            if p.ramp_days:
                w *= 1 - math.exp(-(d + 1) / p.ramp_days)
            if p.dip:
                centre, depth, width = p.dip
                before = (p.history_days - d) / 30.44  # months before the clock start
                w *= 1 - depth * math.exp(-(((before - centre) / width) ** 2) / 2)
            self._cumulative.append(self._cumulative[-1] + w)

    def charges_on(self, day: int) -> int:
        self._extend_weights(day + 1)
        return round(self._scale * self._cumulative[day + 1]) - round(
            self._scale * self._cumulative[day]
        )

    def day_of(self, t: int) -> int:
        return (t - self.t0) // DAY

    @staticmethod
    def eur_usd(day: int) -> float:
        """EUR->USD rate on a simulated day: slow drift plus a small wobble."""
        return round(1.085 + 0.04 * math.sin(day / 58.0) + 0.006 * math.sin(day * 1.7), 6)

    def is_eu(self, customer: int) -> bool:
        share = self.profile.eur_share
        return share > 0 and (customer * 2654435761 + self.salt) % 1000 < share * 1000

    def customer(self, index: int) -> tuple[fake.Person, str, str, str]:
        """(person, customer id, payment method id, card fingerprint) of customer `index`."""
        return (
            fake.person(index, self.salt, self.is_eu(index), self.card_year),
            indexed_id("cus", self.tag, index),
            indexed_id("pm", self.tag, index),
            noise(index * 7919 + self.salt, 11) + b62(index, 5),
        )

    def plan_price(self, customer: int) -> int:
        roll = ((customer * 40503 + self.salt) % 1000) / 1000
        for price, weight in self.profile.plans:
            roll -= weight
            if roll < 0:
                return price
        return self.profile.plans[-1][0]


class DaySimulator:
    """Produces the items born on one simulated day and updates the running state."""

    def __init__(self, m: Merchant, st: SimState, day: int):
        self.m = m
        self.st = st
        self.day = day
        self.start = m.t0 + day * DAY
        self.rng = random.Random(f"{m.seed}:{m.profile.key}:day:{day}")  # noqa: S311 (simulation)
        self.items: list[Item] = []

    def run(self) -> list[Item]:
        self.st.next_day = self.day + 1
        self._payout()
        offsets = sorted(self.rng.randrange(DAY) for _ in range(self.m.charges_on(self.day)))
        for offset in offsets:
            self._charge(self.start + offset)
        return self.items

    # -- helpers -------------------------------------------------------------------------------

    def _id(self, prefix: str, created: int) -> str:
        self.st.seq += 1
        return seq_id(prefix, created, self.st.seq, self.m.tag)

    def _credit(self, t: int, net: int, delay_days: int = 1) -> None:
        """Record net money becoming available for payout `delay_days` after time t."""
        day = self.m.day_of(t) + delay_days
        self.st.balance[day] = self.st.balance.get(day, 0) + net

    def _txn(
        self,
        created: int,
        amount: int,
        fee: int,
        rate: float | None,
        txn_type: str,
        category: str,
        source: str,
        description: str | None,
        available_on: int | None = None,
    ) -> dict[str, Any]:
        txn_id = self._id("txn", created)
        snap = objects.balance_transaction(
            txn_id,
            created,
            created if available_on is None else available_on,
            amount,
            fee,
            rate,
            txn_type,
            category,
            source,
            description,
        )
        versions: list[Version] = [(created, snap, (), None)]
        if snap["status"] == "pending":
            versions.append((snap["available_on"], {**snap, "status": "available"}, (), None))
        self.items.append(Item("balance_transaction", txn_id, created, amount, versions))
        return snap

    # -- payouts -------------------------------------------------------------------------------

    def _payout(self) -> None:
        m, st, rng, p = self.m, self.st, self.rng, self.m.profile
        due = st.carry
        for day in [d for d in st.balance if d <= self.day]:
            due += st.balance.pop(day)
        off_day = (
            p.payout_interval == "weekly" and datetime.fromtimestamp(self.start, UTC).weekday()
        )
        if off_day or self.day < p.first_payout_day or due <= 0:
            st.carry = due  # rolls over to the next payout (or covers a negative balance)
            return
        st.carry = 0
        created = self.start + rng.randrange(HOUR, 4 * HOUR)
        payout_id = self._id("po", created)
        txn = self._txn(created, -due, 0, None, "payout", "payout", payout_id, "STRIPE PAYOUT")
        arrival = m.t0 + (self.day + PAYOUT_DELAY_DAYS) * DAY
        pending = objects.payout(payout_id, created, due, arrival, txn["id"], m.bank_id)
        in_transit = {**pending, "status": "in_transit"}
        versions: list[Version] = [
            (created, pending, ("payout.created",), None),
            (created + rng.randrange(4 * HOUR, 10 * HOUR), in_transit, ("payout.updated",),
             {"status": "pending"}),
        ]  # fmt: skip
        st.payout_failure_debt += p.payout_failure_rate * rng.uniform(0.5, 1.5)
        if st.payout_failure_debt >= 1:
            st.payout_failure_debt -= 1
            failed_at = arrival + rng.randrange(6 * HOUR, 48 * HOUR)
            code, message = _weighted(rng, tuple(((c, msg), w) for c, msg, w in _PAYOUT_FAILURES))
            back = self._txn(
                failed_at, due, 0, None, "payout_failure", "payout_reversal", payout_id,
                "STRIPE PAYOUT FAILURE",
            )  # fmt: skip
            self._credit(failed_at, due)
            final = {
                **in_transit,
                "status": "failed",
                "failure_code": code,
                "failure_message": message,
                "failure_balance_transaction": back["id"],
                "reconciliation_status": "completed",
            }
            versions.append((failed_at, final, ("payout.failed",), {"status": "in_transit"}))
        else:
            paid = {
                **in_transit,
                "status": "paid",
                "reconciliation_status": "completed",
                "trace_id": {"status": "supported", "value": noise(st.seq + m.salt, 15)},
            }
            versions.append((arrival + rng.randrange(HOUR, 6 * HOUR), paid, ("payout.paid",),
                             {"status": "in_transit"}))  # fmt: skip
        self.items.append(Item("payout", payout_id, created, due, versions))

    # -- charges and what follows them ---------------------------------------------------------

    def _customer(self) -> tuple[int, bool]:
        st, rng = self.st, self.rng
        if st.customers == 0 or rng.random() < self.m.profile.new_customer_share:
            st.customers += 1
            return st.customers - 1, True
        # Repeat buyers lean towards recent customers (older ones churn away).
        return st.customers - 1 - int(st.customers * rng.random() ** 1.6), False

    def _new_customer(
        self, index: int, customer_id: str, t: int, who: fake.Person, pm_id: str
    ) -> None:
        m, rng, p = self.m, self.rng, self.m.profile
        created = max(self.start, t - rng.randrange(10, 900))
        currency = "eur" if who.eu else "usd"
        snap = objects.customer(customer_id, created, who, index, pm_id, currency, p.ships_goods)
        self.items.append(
            Item(
                "customer",
                customer_id,
                created,
                None,
                [(created, snap, ("customer.created",), None)],
            )
        )
        if p.subscriptions:
            sub_id = indexed_id("sub", m.tag, index)
            period = (created, created + 30 * DAY)
            args = (sub_id, indexed_id("si", m.tag, index), customer_id, created)
            price = m.plan_price(index)
            active = objects.subscription(*args, price, pm_id, m.product_id, period, None)
            versions: list[Version] = [(created, active, ("customer.subscription.created",), None)]
            ends = created + int(rng.expovariate(1 / p.churn_months) * 30.44 * DAY)
            months = (ends - created) // (30 * DAY)
            last_period = (created + months * 30 * DAY, created + (months + 1) * 30 * DAY)
            canceled = objects.subscription(*args, price, pm_id, m.product_id, last_period, ends)
            versions.append(
                (ends, canceled, ("customer.subscription.deleted",), {"status": "active"})
            )
            self.items.append(Item("subscription", sub_id, created, None, versions))

    def _charge(self, t: int) -> None:
        m, st, rng, p = self.m, self.st, self.rng, self.m.profile
        # The big customer (customer 0) places its share of the orders; no other merchant draws
        # this number, so their histories are unchanged.
        anchor = p.anchor_share > 0 and st.customers > 0 and rng.random() < p.anchor_share
        index, new = (0, False) if anchor else self._customer()
        who, customer_id, pm_id, fingerprint = m.customer(index)
        if new:
            self._new_customer(index, customer_id, t, who, pm_id)
        metadata = {"order_note": fake.note(st.seq, who)}
        if p.subscriptions:
            amount = m.plan_price(index)
            description = "Subscription creation" if new else "Subscription update"
        else:
            median, sigma = (
                (p.anchor_median_amount, 0.25) if anchor else (p.median_amount, p.amount_sigma)
            )
            raw = int(median * math.exp(rng.gauss(0, sigma)))
            amount = max(500, raw // 100 * 100 + 99)
            metadata["order_id"] = str(100000 + st.seq)
            description = f"Order #{metadata['order_id']}"
        currency = "eur" if who.eu else "usd"
        decline = _weighted(rng, _DECLINES) if rng.random() < p.failure_rate else None
        charge_id = self._id("ch", t)
        pi_id = "pi_" + charge_id[3:]  # like Stripe: a charge shares its PaymentIntent's id body
        rate = m.eur_usd(self.day) if who.eu else None
        txn_id = None
        if decline is None:
            settled = round(amount * rate) if rate else amount
            fee = round(settled * (0.044 if who.eu else 0.029)) + 30
            txn = self._txn(
                t, settled, fee, rate, "charge", "charge", charge_id, description,
                available_on=m.t0 + (self.day + PAYOUT_DELAY_DAYS) * DAY,
            )  # fmt: skip
            self._credit(t, settled - fee, PAYOUT_DELAY_DAYS)
            txn_id = txn["id"]
        snap = objects.charge(
            charge_id,
            t,
            amount,
            currency,
            customer_id,
            who,
            fingerprint,
            pm_id,
            pi_id,
            txn_id,
            decline,
            rng.randrange(5, 70),
            description,
            metadata,
            m.descriptor,
            p.ships_goods,
        )
        event = "charge.succeeded" if decline is None else "charge.failed"
        versions: list[Version] = [(t, snap, (event,), None)]
        if decline is None:
            st.dispute_debt += p.dispute_rate * rng.uniform(0.8, 1.2)
            if st.dispute_debt >= 1:
                st.dispute_debt -= 1
                self._dispute(snap, versions)
            elif rng.random() < p.refund_rate:
                self._refund(snap, versions)
        self.items.append(Item("charge", charge_id, t, amount, versions))

    def _settled(self, amount: int, currency: str, t: int) -> tuple[int, float | None]:
        if currency == "usd":
            return amount, None
        rate = self.m.eur_usd(self.m.day_of(t))
        return round(amount * rate), rate

    def _refund(self, charge: dict[str, Any], versions: list[Version]) -> None:
        rng = self.rng
        t = charge["created"] + int(rng.uniform(0.3, 20) * DAY)
        amount = charge["amount"]
        if rng.random() < 0.3:
            amount = max(100, round(amount * rng.uniform(0.2, 0.8)))
        refund_id = self._id("re", t)
        settled, rate = self._settled(amount, charge["currency"], t)
        txn = self._txn(t, -settled, 0, rate, "refund", "refund", refund_id, "REFUND FOR CHARGE")
        self._credit(t, -settled)
        reason = _weighted(rng, (*_REFUND_REASONS, (None, 0.15)))
        snap = objects.refund(refund_id, t, amount, charge["currency"], charge, txn["id"], reason)
        self.items.append(
            Item("refund", refund_id, t, amount, [(t, snap, ("refund.created",), None)])
        )
        refunded = {
            **charge,
            "amount_refunded": amount,
            "refunded": amount == charge["amount"],
            "refunds": objects.empty_list(charge["refunds"]["url"], [snap]),
        }
        versions.append(
            (t, refunded, ("charge.refunded",), {"amount_refunded": 0, "refunded": False})
        )

    def _dispute(
        self, charge: dict[str, Any], versions: list[Version], at: int | None = None
    ) -> None:
        """A dispute and its whole life; opened `at` that time as a chargeback (`open_disputes`),
        else 5-21 days after the charge, 1 in 10 as an inquiry."""
        rng, p = self.rng, self.m.profile
        if at is None:
            t = charge["created"] + int(rng.uniform(5, 21) * DAY)
            inquiry = rng.random() < 0.1
        else:
            t, inquiry = at, False
        due_by = (t // DAY + rng.randrange(7, 22)) * DAY + DAY - 1
        dispute_id = self._id("dp", t)
        reason = _weighted(rng, p.dispute_reasons)
        snap = objects.dispute(dispute_id, t, charge, reason, inquiry, due_by)
        settled, rate = self._settled(charge["amount"], charge["currency"], t)
        events: tuple[str, ...] = ("charge.dispute.created",)
        if not inquiry:
            withdrawal = self._txn(
                t, -settled, objects.DISPUTE_FEE, rate, "adjustment", "dispute", dispute_id,
                f"Chargeback withdrawal for {charge['id']}",
            )  # fmt: skip
            self._credit(t, -settled - objects.DISPUTE_FEE)
            snap["balance_transactions"] = [withdrawal]
            events += ("charge.dispute.funds_withdrawn",)
        timeline: list[Version] = [(t, snap, events, None)]
        versions.append((t, {**charge, "disputed": True}, (), None))
        last = snap
        if rng.random() < 0.65:  # the merchant answers with evidence
            answered = t + int(rng.uniform(1, 6) * DAY)
            last = {
                **snap,
                "status": "warning_under_review" if inquiry else "under_review",
                "evidence": {
                    **snap["evidence"],
                    "customer_email_address": charge["billing_details"]["email"],
                    "customer_name": charge["billing_details"]["name"],
                    "uncategorized_text": _EVIDENCE_TEXT,
                },
                "evidence_details": {
                    **snap["evidence_details"],
                    "has_evidence": True,
                    "submission_count": 1,
                },
            }
            timeline.append(
                (answered, last, ("charge.dispute.updated",), {"status": snap["status"]})
            )
            closed = answered + int(rng.uniform(20, 60) * DAY)
            won = rng.random() < p.dispute_win_rate
        else:
            closed = due_by + HOUR
            won = False
            last = {**last, "evidence_details": {**last["evidence_details"], "past_due": True}}
        final = {**last, "is_charge_refundable": False}
        events = ("charge.dispute.closed",)
        if inquiry:
            final["status"] = "warning_closed"
        else:
            final["status"] = "won" if won else "lost"
            if won:
                reinstated = self._txn(
                    closed, settled, 0, rate, "adjustment", "dispute_reversal", dispute_id,
                    f"Chargeback reversal for {charge['id']}",
                )  # fmt: skip
                self._credit(closed, settled)
                final["balance_transactions"] = [*snap["balance_transactions"], reinstated]
                events += ("charge.dispute.funds_reinstated",)
        timeline.append((closed, final, events, {"status": last["status"]}))
        self.items.append(Item("dispute", dispute_id, t, charge["amount"], timeline))


def open_disputes(m: Merchant, st: SimState, charges: list[dict[str, Any]], at: int) -> list[Item]:
    """Disputes opened at time `at` on `charges` (`vaultra sandbox dispute`), built as the
    simulation builds its own, with the disputed charges' new versions. Chargebacks, not
    inquiries: inquiries do not count in a dispute ratio. Their own RNG leaves the simulated
    days' draws untouched."""
    sim = DaySimulator(m, st, m.day_of(at))
    sim.rng = random.Random(f"{m.seed}:{m.profile.key}:disputes:{at}:{st.seq}")  # noqa: S311
    for charge in charges:
        versions: list[Version] = []
        sim._dispute(charge, versions, at=at)
        sim.items.append(
            Item("charge", charge["id"], charge["created"], charge["amount"], versions)
        )
    return sim.items


def account_item(m: Merchant) -> Item:
    created = m.t0 - 45 * DAY
    snap = objects.account(m.profile, m.account, created, m.bank_id)
    return Item("account", m.account, created, None, [(created, snap, (), None)])
