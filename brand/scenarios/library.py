"""The scenario set: shapes x planted signals over six seeds, healthy and export-only shops among them,
shops with and without finance's channel budgets and e-mail history, from a micro shop (ten times smaller
than a small one) to an xl one, and the demo brand as one more scenario."""

from __future__ import annotations

from .spec import PlantKind as K
from .spec import Scenario

SHAPES = {
    # name: (SKUs, channels, campaigns per channel, orders a day)
    "micro": (3, ("meta",), 1, 2.5),
    "tiny": (4, ("meta",), 1, 8.0),
    "small": (12, ("meta",), 2, 20.0),
    "mid": (60, ("meta", "google"), 2, 60.0),
    "large": (300, ("meta", "google", "tiktok"), 2, 150.0),
    "xl": (1200, ("meta", "google", "tiktok"), 3, 400.0),
}
ISSUE_CASE = (K.STOCKOUT, K.COLLAPSE)  # what issue 12 met on a real shop's three exports
TRAPS = (K.RISING, K.BESTSELLER_OVERSTOCK, K.SLOW_MOVER)
EVERYTHING = (
    K.BESTSELLER_OVERSTOCK, K.STOCKOUT, K.COLLAPSE, K.UNDERFUNDED, K.SLOW_MOVER, K.RISING,
    K.REFUND_SPIKE, K.LOSING_CODE, K.LAPSING_VIPS, K.OVER_PACE, K.RECENT_SEND,
)  # fmt: skip
# A channel over its month's budget where growth would move money to a winner: the raise must be held.
OVER_PACE = (K.OVER_PACE, K.COLLAPSE, K.UNDERFUNDED)
# Lapsing VIPs in a shop that e-mails them already: the win-back must not land within a day of another send.
EMAIL = (K.LAPSING_VIPS, K.RECENT_SEND, K.REFUND_SPIKE)
EVERY_SOURCE = {"suppliers": True, "budgets": True, "channel_budgets": True, "email_history": True}
MONEY_LEAKS = (K.REFUND_SPIKE, K.LOSING_CODE, K.LAPSING_VIPS)
SEEDS = range(1, 7)


def _scenario(name: str, seed: int, shape: str, plants: tuple[K, ...] = (), **extra: object) -> Scenario:
    skus, channels, per_channel, orders = SHAPES[shape]
    return Scenario(
        name=f"{name}-{shape}-s{seed}",
        seed=seed,
        skus=skus,
        channels=channels,
        campaigns_per_channel=per_channel,
        orders_per_day=orders,
        noise=0.1 + 0.03 * (seed % 5),
        seasonality=0.06 * (seed % 6),
        plants=plants,
        **extra,  # type: ignore[arg-type]
    )


def _library() -> list[Scenario]:
    found: list[Scenario] = []
    for seed in SEEDS:
        found += [
            _scenario("healthy-exports-only", seed, "small"),
            _scenario("issue-case-exports-only", seed, "tiny" if seed % 2 else "small", ISSUE_CASE),
            _scenario("money-leaks-exports-only", seed, "small", MONEY_LEAKS),
            _scenario("traps", seed, "mid" if seed % 2 else "small", TRAPS),
            _scenario("everything", seed, "small", EVERYTHING, **EVERY_SOURCE),
            _scenario("healthy-full-data", seed, "mid" if seed % 2 else "tiny", (), **EVERY_SOURCE),
            _scenario(
                "large",
                seed,
                "large",
                ISSUE_CASE + TRAPS,
                suppliers=seed % 2 == 0,
                budgets=seed % 3 == 0,
                test_campaign=True,
            )
            if seed <= 3
            else _scenario("healthy-large", seed, "large", budgets=True, channel_budgets=True, test_campaign=True),
            # Campaign budgets on record (the winner's raise must be held), or only an ads export's
            # observed spend to cap.
            _scenario("over-pace", seed, "small", OVER_PACE, budgets=True, channel_budgets=True)
            if seed % 3
            else _scenario("over-pace-exports", seed, "mid", OVER_PACE[:2], channel_budgets=True),
            _scenario("email-history", seed, "small", EMAIL, email_history=True),
            _scenario("issue-case-exports-only", seed, "micro", ISSUE_CASE)
            if seed % 2
            else _scenario("healthy-exports-only", seed, "micro"),
        ]
    found.append(_scenario("xl-everything", 7, "xl", EVERYTHING, **EVERY_SOURCE, test_campaign=True))
    found.append(Scenario(name="demo-hearth-and-pine-s1", seed=1, demo=True))
    return found


SCENARIOS: list[Scenario] = _library()


def fast_scenarios() -> list[Scenario]:
    """A handful of small shops that cover every kind of plant, a healthy and an export-only shop."""
    wanted = {
        "over-pace-small-s1",
        "email-history-small-s1",
        "issue-case-exports-only-micro-s1",
        "healthy-exports-only-small-s1",
        "issue-case-exports-only-tiny-s1",
        "traps-small-s2",
        "everything-small-s2",
        "healthy-full-data-tiny-s2",
        "money-leaks-exports-only-small-s3",
    }
    return [s for s in SCENARIOS if s.name in wanted]
