"""The funding readiness score: a pure, deterministic model over Stripe-derived metrics.

Data path: `app.metrics.calculations` turns daily rollups into snapshot metrics;
`inputs.ReadinessInputs.from_mapping` checks them; `scoring.compute_readiness` scores each
component on the curves of `model.COMPONENTS` (through the figures in `derived`), takes the
weighted mean, applies the caps and the tier, and returns a `results.ReadinessResult` with
the sentences of `explanations` and the products of `funding`; `app.metrics.service` stores
it. `simulation` rescores with what-if overrides, for the simulator and the recommendations'
impacts.

Each module imports only modules listed before it, and none inside a function: model,
inputs, results, derived, explanations, funding, scoring, simulation (checked by
tests/core/test_module_boundaries.py). Import a name from the module that defines it; this
file re-exports nothing.
"""
