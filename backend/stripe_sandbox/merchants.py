"""The sample merchants a user can connect, and the sandbox clock."""

from dataclasses import dataclass
from datetime import UTC, datetime

from stripe_sandbox import store
from stripe_sandbox.config import SandboxConfig
from stripe_sandbox.ids import account_id


@dataclass(frozen=True)
class MerchantProfile:
    key: str
    name: str
    description: str
    history_days: int
    default_size: int  # charges over the history when SandboxConfig.size is None
    # Business profile
    url: str
    mcc: str
    product_description: str
    support_city: str
    support_state: str
    # Volume model: daily weight = exp(growth * months) * season[month] * weekday[weekday] * noise
    # (* dip, when there is one)
    monthly_growth: float
    season: tuple[float, ...]  # 12 multipliers, January first
    weekday: tuple[float, ...]  # 7 multipliers, Monday first
    ramp_days: float = 0.0  # a new store's traffic ramps up from zero
    volume_noise: float = 0.12  # sigma of the daily log-normal noise on the weight
    # A temporary fall: (centre in months before the clock start, depth, width in months), the
    # weight multiplied by 1 - depth * exp(-((months before start - centre) / width)^2 / 2).
    # Anchored on the clock start, so the recovery is always behind "now".
    dip: tuple[float, float, float] | None = None
    # Charges
    plans: tuple[tuple[int, float], ...] = ()  # subscription prices (cents) and weights
    median_amount: int = 5000  # one-off orders: log-normal amounts (cents)
    amount_sigma: float = 0.6
    churn_months: float = 0.0  # mean subscription lifetime (subscription merchants)
    # One big customer (customer 0): the share of charges it places, and its median order.
    anchor_share: float = 0.0
    anchor_median_amount: int = 0
    new_customer_share: float = 0.5
    failure_rate: float = 0.03
    refund_rate: float = 0.02
    dispute_rate: float = 0.002
    dispute_reasons: tuple[tuple[str, float], ...] = ()
    dispute_win_rate: float = 0.4
    eur_share: float = 0.0  # share of customers paying in EUR (settled into USD)
    ships_goods: bool = True
    # Payouts
    payout_interval: str = "daily"  # or "weekly" (Mondays)
    payout_failure_rate: float = 0.004
    first_payout_day: int = 0  # Stripe holds a new account's first payout for a week

    @property
    def subscriptions(self) -> bool:
        return bool(self.plans)


_FLAT = (1.0,) * 12
_WORKWEEK = (1.08, 1.1, 1.1, 1.08, 1.02, 0.82, 0.8)
_SHOPPING = (0.95, 0.93, 0.95, 1.0, 1.08, 1.1, 0.99)
_COMMON_REASONS = (
    ("fraudulent", 0.3),
    ("product_not_received", 0.15),
    ("product_unacceptable", 0.12),
    ("subscription_canceled", 0.08),
    ("duplicate", 0.07),
    ("credit_not_processed", 0.1),
    ("unrecognized", 0.1),
    ("general", 0.08),
)

MERCHANTS: list[MerchantProfile] = [
    MerchantProfile(
        key="healthy_saas",
        name="Northwind Analytics",
        description="A healthy, growing B2B SaaS: monthly plans, low refunds, almost no disputes.",
        history_days=730,
        default_size=3000,
        url="https://northwind-analytics.example.com",
        mcc="5734",
        product_description="Analytics dashboards for small e-commerce teams",
        support_city="Austin",
        support_state="TX",
        monthly_growth=0.05,
        season=(1.0, 1.0, 1.02, 1.0, 0.98, 0.96, 0.95, 0.96, 1.02, 1.03, 1.02, 0.98),
        weekday=_WORKWEEK,
        plans=((2900, 0.45), (7900, 0.35), (19900, 0.15), (49900, 0.05)),
        churn_months=30.0,
        new_customer_share=0.12,
        failure_rate=0.025,
        refund_rate=0.012,
        dispute_rate=0.0015,
        dispute_reasons=(
            ("subscription_canceled", 0.35),
            ("unrecognized", 0.25),
            ("fraudulent", 0.2),
            ("credit_not_processed", 0.1),
            ("general", 0.1),
        ),
        dispute_win_rate=0.55,
        ships_goods=False,
        payout_failure_rate=0.002,
    ),
    MerchantProfile(
        key="seasonal_retail",
        name="Juniper & Pine Gifts",
        description="A seasonal gift retailer: big Q4 peaks, quiet summers; some EUR sales.",
        history_days=730,
        default_size=4000,
        url="https://juniperandpine.example.com",
        mcc="5947",
        product_description="Handmade gifts, candles and holiday decorations",
        support_city="Portland",
        support_state="OR",
        monthly_growth=0.01,
        season=(0.7, 0.6, 0.7, 0.75, 0.75, 0.55, 0.5, 0.55, 0.8, 1.15, 2.3, 2.7),
        weekday=_SHOPPING,
        median_amount=4200,
        amount_sigma=0.65,
        new_customer_share=0.6,
        refund_rate=0.05,
        dispute_rate=0.003,
        dispute_reasons=_COMMON_REASONS,
        eur_share=0.15,
    ),
    MerchantProfile(
        key="high_dispute",
        name="VoltEdge Gadgets",
        description="A gadget drop-shipper with a dispute problem (2-3% of charges disputed).",
        history_days=548,
        default_size=3000,
        url="https://voltedge-gadgets.example.com",
        mcc="5732",
        product_description="Consumer electronics accessories shipped from overseas",
        support_city="Miami",
        support_state="FL",
        monthly_growth=0.02,
        season=(0.9, 0.85, 0.9, 0.95, 0.95, 0.9, 0.9, 0.95, 1.0, 1.05, 1.3, 1.4),
        weekday=_SHOPPING,
        median_amount=6500,
        amount_sigma=0.7,
        new_customer_share=0.75,
        failure_rate=0.06,
        refund_rate=0.045,
        dispute_rate=0.026,
        dispute_reasons=(
            ("fraudulent", 0.42),
            ("product_not_received", 0.24),
            ("product_unacceptable", 0.12),
            ("unrecognized", 0.08),
            ("duplicate", 0.04),
            ("credit_not_processed", 0.05),
            ("subscription_canceled", 0.02),
            ("general", 0.03),
        ),
        dispute_win_rate=0.25,
        eur_share=0.1,
        payout_failure_rate=0.006,
    ),
    MerchantProfile(
        key="new_store",
        name="Fern & Fig Plant Co.",
        description="A brand-new plant shop: six weeks of history, traffic still ramping up.",
        history_days=42,
        default_size=300,
        url="https://fernandfig.example.com",
        mcc="5992",
        product_description="House plants and planters, delivered locally",
        support_city="Denver",
        support_state="CO",
        monthly_growth=0.25,
        season=_FLAT,
        weekday=_SHOPPING,
        ramp_days=10.0,
        median_amount=3800,
        amount_sigma=0.5,
        new_customer_share=0.8,
        refund_rate=0.03,
        dispute_rate=0.002,
        dispute_reasons=_COMMON_REASONS,
        first_payout_day=7,
    ),
    MerchantProfile(
        key="declining",
        name="Harvest Box Meal Kits",
        description="A declining meal-kit subscription: revenue falls month over month, "
        "several failed payouts.",
        history_days=730,
        default_size=2500,
        url="https://harvestbox.example.com",
        mcc="5499",
        product_description="Weekly meal-kit subscriptions",
        support_city="Columbus",
        support_state="OH",
        monthly_growth=-0.045,
        season=(1.05, 1.0, 1.0, 0.98, 0.97, 0.95, 0.95, 0.96, 1.0, 1.02, 1.05, 1.07),
        weekday=_SHOPPING,
        plans=((5999, 0.5), (7999, 0.35), (10999, 0.15)),
        churn_months=8.0,
        new_customer_share=0.15,
        failure_rate=0.06,
        refund_rate=0.035,
        dispute_rate=0.005,
        dispute_reasons=_COMMON_REASONS,
        payout_interval="weekly",
        payout_failure_rate=0.08,
    ),
    # Calibration merchants (issue 13): each isolates one shape a lender reads differently from a
    # naive score. Each is sized above the lenders' revenue minimums ($15,000 a month over the
    # last 3 months, $100,000 over a year, in the readiness model's funding criteria), so that
    # its shape, not its size, decides. Appended, never inserted: a merchant's index is part of
    # its object ids.
    MerchantProfile(
        key="steady_decline",
        name="Quillfield Stationery",
        description="A fine-stationery shop in a smooth, steady decline: sales fall about 3.5% "
        "every month for two years, with nothing else wrong (few refunds, payouts on time).",
        history_days=730,
        default_size=6000,
        url="https://quillfield.example.com",
        mcc="5943",
        product_description="Fountain pens, inks and fine notebooks",
        support_city="Providence",
        support_state="RI",
        # -3.5%/month is -35% a year; flat seasons and a quiet daily noise keep the fall smooth
        # (monthly coefficient of variation about 0.2, all of it trend).
        monthly_growth=-0.035,
        season=_FLAT,
        weekday=_SHOPPING,
        volume_noise=0.05,
        median_amount=9900,
        amount_sigma=0.3,
        new_customer_share=0.45,
        failure_rate=0.025,
        refund_rate=0.015,
        dispute_rate=0.0015,
        dispute_reasons=_COMMON_REASONS,
        payout_failure_rate=0.0,
    ),
    MerchantProfile(
        key="seasonal_flat",
        name="Tidewater Pool Supply",
        description="A pool-supply shop with three years of history: summer sales are five "
        "times winter's, and each year is the same as the last (flat year over year).",
        history_days=1095,
        default_size=12000,
        url="https://tidewaterpool.example.com",
        mcc="5996",
        product_description="Pool chemicals, filters and cleaning equipment",
        support_city="Tampa",
        support_state="FL",
        # No growth: the same month a year apart differs only by noise (about 2% a quarter).
        monthly_growth=0.0,
        season=(0.35, 0.35, 0.55, 0.9, 1.5, 1.9, 2.0, 1.75, 1.05, 0.6, 0.4, 0.35),
        weekday=_SHOPPING,
        volume_noise=0.04,
        median_amount=8500,
        amount_sigma=0.2,
        new_customer_share=0.35,
        failure_rate=0.025,
        refund_rate=0.02,
        dispute_rate=0.0015,
        dispute_reasons=_COMMON_REASONS,
    ),
    MerchantProfile(
        key="dip_recovery",
        name="Ember & Oak Coffee Roasters",
        description="A coffee roaster whose sales fell by about half for a few months last "
        "year when its green-bean supplier failed, then recovered fully.",
        history_days=730,
        default_size=8000,
        url="https://emberandoak.example.com",
        mcc="5499",
        product_description="Freshly roasted coffee beans, shipped weekly",
        support_city="Madison",
        support_state="WI",
        monthly_growth=0.008,
        season=(1.0, 0.97, 0.98, 0.98, 0.96, 0.93, 0.92, 0.94, 1.0, 1.03, 1.08, 1.15),
        weekday=_SHOPPING,
        # Deepest 10 months before the clock start, -50% (about -45% over the worst 3 months);
        # 5 months either side it is back within 2% of the trend, so the last 5 months are fully
        # recovered, and the 8 months before it had not started.
        dip=(10.0, 0.5, 1.8),
        median_amount=4800,
        amount_sigma=0.4,
        new_customer_share=0.3,
        refund_rate=0.015,
        dispute_rate=0.0015,
        dispute_reasons=_COMMON_REASONS,
    ),
    MerchantProfile(
        key="big_customer",
        name="Granite Peak Signworks",
        description="A sign and print shop that depends on one client: a restaurant chain "
        "ordering in bulk pays for about 60% of its revenue.",
        history_days=730,
        default_size=2500,
        url="https://granitepeaksigns.example.com",
        mcc="7399",
        product_description="Signs, menus, banners and vehicle graphics",
        support_city="Boise",
        support_state="ID",
        monthly_growth=0.01,
        season=(0.95, 0.95, 1.0, 1.02, 1.02, 1.0, 0.97, 0.97, 1.02, 1.03, 1.05, 1.02),
        weekday=_WORKWEEK,
        median_amount=12000,
        amount_sigma=0.6,
        # 10% of charges are the chain's bulk orders, about $1,800 each: 0.1 x 1,800 against
        # 0.9 x 120 x e^(0.6^2/2) from everyone else, about 59% of revenue.
        anchor_share=0.12,
        anchor_median_amount=180000,
        new_customer_share=0.55,
        refund_rate=0.015,
        dispute_rate=0.002,
        dispute_reasons=_COMMON_REASONS,
    ),
    MerchantProfile(
        key="refund_heavy",
        name="Loom & Lark Apparel",
        description="An online clothing shop with free returns: about one order in five is "
        "refunded, in full or in part.",
        history_days=730,
        default_size=5000,
        url="https://loomandlark.example.com",
        mcc="5651",
        product_description="Women's and men's clothing, free returns within 30 days",
        support_city="Los Angeles",
        support_state="CA",
        monthly_growth=0.015,
        season=(0.85, 0.8, 0.95, 1.0, 1.0, 0.95, 0.9, 0.95, 1.0, 1.05, 1.25, 1.35),
        weekday=_SHOPPING,
        median_amount=9500,
        amount_sigma=0.55,
        new_customer_share=0.6,
        # 20% of charges refunded, 30% of those in part (20-80%): about 17% of volume.
        refund_rate=0.2,
        dispute_rate=0.004,
        dispute_reasons=(
            ("credit_not_processed", 0.35),
            ("product_unacceptable", 0.2),
            ("fraudulent", 0.2),
            ("product_not_received", 0.1),
            ("unrecognized", 0.1),
            ("general", 0.05),
        ),
    ),
]

_BY_KEY = {m.key: m for m in MERCHANTS}


def get_merchant(key: str) -> MerchantProfile:
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown sample merchant {key!r}; known: {sorted(_BY_KEY)}") from None


def merchant_account_id(config: SandboxConfig, key: str) -> str:
    """The connected account id (`acct_...`) of a sample merchant in this sandbox."""
    return account_id(config.seed, get_merchant(key).key)


def merchant_for_account(config: SandboxConfig, account: str) -> MerchantProfile | None:
    for merchant in MERCHANTS:
        if account_id(config.seed, merchant.key) == account:
            return merchant
    return None


def sandbox_now(config: SandboxConfig) -> datetime:
    """The sandbox clock (it only moves through `advance`)."""
    with store.open_db(config) as conn:
        return datetime.fromtimestamp(store.get_now(conn), UTC)
