"""A full run's charge aggregate, split into day ranges (UNION ALL), equals the plain one."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import text

from app.core.db import Database, ordered_aggregation
from app.metrics import rollup
from app.stripe import ledger
from app.users.models import Business
from tests.metrics.conftest import StripeData
from tests.metrics.test_metrics_golden import golden_data


def forced_processes(processes: int) -> Any:
    @asynccontextmanager
    async def settings(_session: Any, **_: Any) -> AsyncIterator[int]:
        yield processes

    return settings


async def aggregate(db: Database, business: Business, days: list[date] | None) -> Any:
    async with db.session() as session:
        await rollup.convert_charges(session, business.id, "usd")
        return await ledger.day_figures(session, business.id, "usd", days)


@pytest.mark.parametrize("processes", [1, 2, 3, 8])
async def test_day_ranges_change_nothing(
    db: Database, business: Business, monkeypatch: pytest.MonkeyPatch, processes: int
) -> None:
    data = golden_data(business)
    # The same customers on days that fall into different ranges, ids differing only in case.
    for day in ("2025-03-02", "2025-04-20", "2025-06-10"):
        data.charge(day, 1_000, customer="cus_a")
        data.charge(day, 2_000, customer="cus_A")
        data.charge(day, 3_000, customer="cus_a")
    await data.save(db)

    per_day = await aggregate(db, business, sorted(await aggregate(db, business, None)))
    monkeypatch.setattr(ledger, "ordered_aggregation", forced_processes(processes))
    async with db.session() as session:
        ranges = await ledger._day_ranges(session, business.id, processes)
    if processes == 1:
        assert ranges == []
    else:  # contiguous, from the first charge's day to the last's
        assert len(ranges) > 1
        assert ranges[0][0] == date(2025, 3, 1)
        assert ranges[-1][1] == date(2025, 6, 15)
        assert all(end == start for (_, end), (start, _) in pairwise(ranges))
    assert await aggregate(db, business, None) == per_day
    assert per_day[date(2025, 4, 20)]["unique_customers"] == 2


async def test_one_day_of_charges(
    db: Database, business: Business, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = StripeData(business.id)
    data.charge("2025-05-01", 1_000, customer="cus_a")
    data.charge("2025-05-01", 2_000, customer="cus_a")
    await data.save(db)
    monkeypatch.setattr(ledger, "ordered_aggregation", forced_processes(3))
    async with db.session() as session:
        assert await ledger._day_ranges(session, business.id, 3) == [
            (date(2025, 5, 1), date(2025, 5, 2))
        ]
    rows = await aggregate(db, business, None)
    assert rows[date(2025, 5, 1)]["unique_customers"] == 1
    assert rows[date(2025, 5, 1)]["gross_volume"] == 3_000


async def test_ordered_aggregation_settings_are_scoped(db: Database) -> None:
    show = text(
        "SELECT current_setting('enable_hashagg'), current_setting('enable_sort'),"
        " current_setting('plan_cache_mode'), current_setting('jit')"
    )
    async with db.session() as session:
        if db.dialect != "postgresql":
            async with ordered_aggregation(session) as processes:
                assert processes == 1
            return
        before = (await session.execute(show)).one()
        async with ordered_aggregation(session) as processes:
            assert processes >= 1
            assert tuple((await session.execute(show)).one()) == (
                "off",
                "off",
                "force_custom_plan",
                "off",
            )
        assert (await session.execute(show)).one() == before


def test_a_rollup_stores_every_figure_of_the_ledger() -> None:
    assert sorted(rollup.ROLLUP_FIGURES) == sorted([*ledger.DAY_FIGURES, "currency", "net_volume"])
