"""Same (seed, merchant, size, clock start) => the same objects, however they were produced."""

from pathlib import Path

import pytest

from stripe_sandbox import SandboxConfig, advance, connect_merchant, generate
from stripe_sandbox.store import SandboxStateError, connect
from tests.stripe_sandbox.conftest import START


def rows(config: SandboxConfig, account: str, events: bool = True) -> dict[str, str]:
    conn = connect(config.db_path)
    try:
        found = conn.execute(
            "SELECT id, data FROM objects WHERE account = ? AND (? OR type != 'event')",
            (account, events),
        ).fetchall()
        pending = conn.execute(
            "SELECT id || ':' || due, versions FROM pending WHERE account = ?", (account,)
        ).fetchall()
    finally:
        conn.close()
    return dict(found) | {f"pending:{k}": v for k, v in pending}


def config(tmp_path: Path, name: str, seed: int = 7, size: int | None = None) -> SandboxConfig:
    return SandboxConfig(db_path=str(tmp_path / f"{name}.db"), seed=seed, start=START, size=size)


def test_same_seed_same_objects_whatever_else_is_generated(tmp_path: Path) -> None:
    everything = generate(config(tmp_path, "all"), ["declining", "high_dispute", "new_store"])
    some = generate(config(tmp_path, "some"), ["new_store", "high_dispute"])
    for key, account in some.items():
        assert account == everything[key]
        mine = rows(config(tmp_path, "some"), account)
        assert mine
        assert mine == rows(config(tmp_path, "all"), account)


def test_other_seed_or_size_other_objects(tmp_path: Path) -> None:
    base = generate(config(tmp_path, "base"), ["new_store"])["new_store"]
    reseeded = generate(config(tmp_path, "seed", seed=8), ["new_store"])["new_store"]
    resized = generate(config(tmp_path, "size", size=1000), ["new_store"])["new_store"]
    assert reseeded != base
    assert resized == base
    base_rows = rows(config(tmp_path, "base"), base)
    assert not set(base_rows) & set(rows(config(tmp_path, "seed", seed=8), reseeded))
    assert len(rows(config(tmp_path, "size", size=1000), base)) > len(base_rows)


async def test_history_does_not_depend_on_how_the_clock_moved(tmp_path: Path) -> None:
    stepwise, at_once, late = (
        config(tmp_path, name, size=800) for name in ("stepwise", "at_once", "late")
    )
    account = connect_merchant(stepwise, "high_dispute")
    await advance(stepwise, 1)
    await advance(stepwise, 1.5)
    await advance(stepwise, 7.25)
    connect_merchant(at_once, "high_dispute")
    await advance(at_once, 9.75)
    await advance(late, 9.75)  # nothing generated yet: the merchant catches up when connected
    connect_merchant(late, "high_dispute")

    assert rows(stepwise, account) == rows(at_once, account)
    assert rows(late, account, events=False) == rows(stepwise, account, events=False)


def test_a_sandbox_file_keeps_its_parameters(tmp_path: Path) -> None:
    generate(config(tmp_path, "pinned"), ["new_store"])
    generate(config(tmp_path, "pinned"), ["new_store"])  # same parameters: fine, a no-op
    with pytest.raises(SandboxStateError, match="seed"):
        generate(config(tmp_path, "pinned", seed=8), ["new_store"])
    with pytest.raises(SandboxStateError, match="size"):
        generate(config(tmp_path, "pinned", size=500), ["new_store"])
