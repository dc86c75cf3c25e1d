/**
 * What-if: the founder moves the metrics that drive the score and sees the score, the tier and
 * each funding option beside today's. Each change asks POST /readiness/simulate after a 150 ms
 * pause (one request per burst of typing or dragging); nothing is saved. Untouched inputs send
 * nothing, so with every input at today's value the page shows today's result exactly.
 */
import { useEffect, useMemo, useRef, useState } from "react";

import { api, errorMessage, type Schemas } from "../lib/api";
import { formatPercent, humanize } from "../lib/format";
import { formatMoney } from "../lib/money";
import { capNote } from "../lib/readiness";
import {
  SIMULATOR_INPUTS,
  decimals,
  displayScale,
  fieldStep,
  overridesFor,
  parseText,
  toText,
  todayValue,
  type Overrides,
  type SimulatorInput,
} from "../lib/simulator";
import ScoreGauge from "./ScoreGauge";

// Long enough to skip the values a slider passes through while dragged, short enough that
// pause-to-score stays within the 300 ms goal with the API's ~30 ms answer (bench/web_vitals.py).
const DEBOUNCE_MS = 150;

type Readiness = Schemas["ReadinessRead"];
type Simulation = Schemas["SimulationRead"];
type Outcome = Pick<Simulation, "score" | "tier" | "funding_options" | "components" | "capped_by">;

interface Props {
  businessId: string;
  readiness: Readiness;
  metrics: Record<string, { value?: unknown }>;
}

export default function WhatIfSimulator({ businessId, readiness, metrics }: Props) {
  const currency = readiness.currency;
  const initial = useMemo(
    () =>
      Object.fromEntries(
        SIMULATOR_INPUTS.map((input) => [
          input.id,
          toText(input, todayValue(input, metrics), currency),
        ]),
      ),
    [metrics, currency],
  );
  const [texts, setTexts] = useState<Record<string, string>>(initial);
  const [simulated, setSimulated] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  // Which inputs differ from today, and what they would send; errors block the request.
  const { overrides, errors, changed } = useMemo(() => {
    const overrides: Overrides = {};
    const errors: Record<string, string> = {};
    const changed = new Set<string>();
    for (const input of SIMULATOR_INPUTS) {
      const text = texts[input.id] ?? "";
      if (text.trim() === initial[input.id]) continue;
      const parsed = parseText(input, text, currency);
      if (!parsed.ok) errors[input.id] = parsed.error;
      else {
        changed.add(input.id);
        Object.assign(overrides, overridesFor(input, parsed.value));
      }
    }
    return { overrides, errors, changed };
  }, [texts, initial, currency]);
  const valid = Object.keys(errors).length === 0;
  const request = valid ? JSON.stringify(overrides) : null;

  const latest = useRef(0);
  useEffect(() => {
    if (request === null) return; // keep the last result until the fields are valid again
    const call = ++latest.current;
    if (request === "{}") {
      setSimulated(null);
      setBusy(false);
      setFailure(null);
      return;
    }
    setBusy(true);
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      api
        .POST("/api/v1/readiness/simulate", {
          params: { query: { business_id: businessId } },
          body: { overrides: JSON.parse(request) as Overrides },
          signal: controller.signal,
        })
        .then(({ data, error }) => {
          if (call !== latest.current) return;
          setBusy(false);
          if (data) {
            setSimulated(data);
            setFailure(null);
          } else {
            setFailure(errorMessage(error));
          }
        })
        .catch((error: unknown) => {
          if (call !== latest.current || controller.signal.aborted) return;
          setBusy(false);
          setFailure(errorMessage(error));
        });
    }, DEBOUNCE_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [request, businessId]);

  const reset = () => {
    setTexts(initial);
    setSimulated(null);
    setFailure(null);
  };

  const today: Outcome = readiness;
  const outcome = simulated ?? today;
  const change = outcome.score - today.score;
  const tierChanged = outcome.tier !== today.tier;
  const unlocked = outcome.funding_options.filter(
    (option) => option.eligible && !today.funding_options.find((t) => t.type === option.type)?.eligible,
  );

  const eligibleCount = outcome.funding_options.filter((option) => option.eligible).length;

  return (
    <section className="simulator" aria-labelledby="simulator-heading">
      <div className="simulator-intro">
        <h2 id="simulator-heading">What-if simulator</h2>
        <p className="muted">
          Change a number to see what it would do to your score and to each funding option.
          Fields start at today's values; nothing is saved.
        </p>
      </div>
      <div className="simulator-layout">
        <form
          className="card simulator-inputs"
          aria-label="What-if values"
          onSubmit={(event) => event.preventDefault()}
          noValidate
        >
          {/* Phones: the results are below the fields, so the gist stays in view here. */}
          <div className="sim-summary" aria-hidden="true">
            <span>
              What-if score <strong>{outcome.score}</strong>
              {change !== 0 && ` (${change > 0 ? "+" : "−"}${Math.abs(change)})`}
            </span>
            <span>
              {eligibleCount} of {outcome.funding_options.length} options eligible
            </span>
          </div>
          {SIMULATOR_INPUTS.map((input) => (
            <SimulatorField
              key={input.id}
              input={input}
              currency={currency}
              text={texts[input.id] ?? ""}
              today={initial[input.id] ?? ""}
              todayLabel={todayLabel(input, todayValue(input, metrics), currency)}
              changed={changed.has(input.id)}
              error={errors[input.id]}
              onChange={(text) => setTexts((current) => ({ ...current, [input.id]: text }))}
            />
          ))}
          <div className="simulator-actions">
            <button type="button" className="button secondary" onClick={reset}>
              Reset
            </button>
            <span className="muted">Back to today's values.</span>
          </div>
        </form>

        <div className="card simulator-results">
          <div className="scores">
            <div className="score-box">
              <h3>Today</h3>
              <ScoreGauge score={today.score} tier={today.tier} label="Readiness score" size="small" />
              <p className="tier">{humanize(today.tier)}</p>
            </div>
            <div className={`score-box${change !== 0 || tierChanged ? " changed" : ""}`}>
              <h3>What-if</h3>
              <ScoreGauge
                score={outcome.score}
                tier={outcome.tier}
                label="Simulated readiness score"
                size="small"
              />
              <p className="tier">
                {humanize(outcome.tier)}
                {tierChanged && <span className="change-tag">changed</span>}
              </p>
            </div>
          </div>
          <p className={`score-change ${change > 0 ? "up" : change < 0 ? "down" : ""}`} role="status">
            {change === 0
                ? simulated
                  ? "No change to your score."
                  : "Showing today's score."
                : `${change > 0 ? "+" : "−"}${Math.abs(change)} ${Math.abs(change) === 1 ? "point" : "points"}` +
                  (unlocked.length > 0
                    ? `, unlocks ${unlocked.map((option) => option.name).join(", ")}.`
                    : ".")}
          </p>
          {simulated && capNote(outcome) && (
            <p className="cap-note small" role="note" data-testid="simulated-cap">
              <strong>Capped: </strong>
              {capNote(outcome)}
            </p>
          )}
          <p className={`simulator-busy muted${busy ? "" : " idle"}`} aria-hidden="true">
            Updating…
          </p>
          {failure && (
            <p className="state error simulator-failure" role="alert">
              The simulation failed: {failure}
            </p>
          )}
          <OptionsComparison today={today.funding_options} outcome={outcome.funding_options} />
        </div>
      </div>
    </section>
  );
}

/** Today's value as the founder reads it: "3.08%", "$16,526.74", "0.21", "18". */
function todayLabel(input: SimulatorInput, value: number | null, currency: string): string {
  if (value === null) return "not measured";
  if (input.kind === "percent") return formatPercent(value, decimals(input));
  if (input.kind === "money") return formatMoney(value, currency);
  return toText(input, value, currency);
}

function SimulatorField({
  input,
  currency,
  text,
  today,
  todayLabel,
  changed,
  error,
  onChange,
}: {
  input: SimulatorInput;
  currency: string;
  text: string;
  today: string;
  todayLabel: string;
  changed: boolean;
  error: string | undefined;
  onChange: (text: string) => void;
}) {
  const fieldId = `sim-${input.id}`;
  const labelId = `${fieldId}-label`;
  const scale = displayScale(input, currency);
  const [low, high] = input.slider(today === "" ? null : Number(today));
  const number = Number(text);
  const sliderValue = text.trim() === "" || !Number.isFinite(number) ? low : Math.min(high, Math.max(low, number));
  const unit = input.kind === "percent" ? "%" : input.kind === "money" ? currency.toUpperCase() : null;
  const describedBy = [`${fieldId}-hint`, error ? `${fieldId}-error` : null].filter(Boolean).join(" ");
  return (
    <div className={`sim-field${changed ? " changed" : ""}`}>
      <div className="sim-label-row">
        <label id={labelId} htmlFor={fieldId}>
          {input.label}
        </label>
        <span className="sim-today muted">
          Today: {todayLabel}
        </span>
      </div>
      <div className="sim-controls">
        <div className="sim-number">
          <input
            id={fieldId}
            type="number"
            inputMode="decimal"
            value={text}
            min={input.min * scale}
            max={input.max * scale}
            step={fieldStep(input)}
            data-metrics={input.metrics.join(" ")}
            data-scale={scale}
            aria-invalid={error ? true : undefined}
            aria-describedby={describedBy}
            onChange={(event) => onChange(event.target.value)}
          />
          {unit && (
            <span className="sim-unit" aria-hidden="true">
              {unit}
            </span>
          )}
        </div>
        <input
          type="range"
          aria-labelledby={labelId}
          min={low}
          max={high}
          step={input.sliderStep}
          value={sliderValue}
          onChange={(event) => onChange(event.target.value)}
        />
      </div>
      <p id={`${fieldId}-hint`} className="sim-hint muted">
        {input.hint}
      </p>
      {error && (
        <p id={`${fieldId}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

function OptionsComparison({
  today,
  outcome,
}: {
  today: Schemas["FundingOption"][];
  outcome: Schemas["FundingOption"][];
}) {
  return (
    <table className="comparison">
      <caption>Funding options, today and with these values</caption>
      <thead>
        <tr>
          <th scope="col">Option</th>
          <th scope="col">Today</th>
          <th scope="col">What-if</th>
        </tr>
      </thead>
      <tbody>
        {outcome.map((option) => {
          const before = today.find((t) => t.type === option.type)?.eligible ?? false;
          const mark = option.eligible === before ? null : option.eligible ? "Unlocked" : "Lost";
          const missing = option.unmet[0]?.message;
          return (
            <tr key={option.type} data-option={option.type} className={mark ? "changed" : undefined}>
              <th scope="row">{option.name}</th>
              <td data-label="Today" data-eligible={before}>
                <Eligibility eligible={before} />
              </td>
              <td data-label="What-if" data-eligible={option.eligible}>
                <Eligibility eligible={option.eligible} />
                {mark && <span className={`change-tag ${mark === "Lost" ? "lost" : ""}`}>{mark}</span>}
                {!option.eligible && missing && <span className="still-needs">{missing}</span>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Eligibility({ eligible }: { eligible: boolean }) {
  return (
    <span className={`status-pill ${eligible ? "is-good" : "is-pending"}`}>
      {eligible ? "Eligible" : "Not yet"}
    </span>
  );
}
