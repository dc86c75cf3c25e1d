/**
 * The metrics page: a granularity and a date range (kept in the URL, so a view can be shared)
 * and six charts, each a `figure` named by its `figcaption`, with "Show as table" for the same
 * figures as an accessible table. With uPlot (~22 KB gzipped) the page loads ~99 KB of JS:
 * keep this island small (the budget is 100 KB).
 *
 * Where each line comes from (GET /metrics/history, one point per period):
 * - Gross volume: successful charges; net volume: gross less refunds and lost disputes.
 * - Refund rate: refunded amount / gross volume of the period.
 * - Dispute ratios, by count: Visa-style = disputes opened / successful charges of the same
 *   period; Mastercard-style = the same disputes / charges of the period before. The networks
 *   judge calendar months; daily and weekly ratios swing widely on a few disputes.
 * - Payouts: amounts paid out and failed.
 * - Top-customer share: the largest customer's volume (`top_customer_volume`) / gross volume.
 * - Readiness score: GET /readiness/history, the day's latest score.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import uPlot from "uplot";

import { api, errorMessage, type Schemas } from "../lib/api";
import { formatPercent } from "../lib/format";
import {
  dailyScores,
  daySeconds,
  fitView,
  historySeries,
  MAX_DAYS,
  partialPeriodNote,
  searchWithView,
  viewFromSearch,
  type Granularity,
  type Values,
  type View,
} from "../lib/metricSeries";
import { formatMoney, toMajorUnits } from "../lib/money";
import BusinessGate from "./BusinessGate";
import IslandBoundary from "./IslandBoundary";
import "../styles/metrics.css";

type Kind = "money" | "percent" | "score";

interface Line {
  label: string;
  values: Values;
  color: string; // a CSS variable from metrics.css
  area?: boolean; // filled below, so a line drawn over it stays readable
}

interface Threshold {
  label: string;
  value: number;
  color: string;
  left?: boolean; // label at the left end, clear of a neighbour's
  below?: boolean; // label under the line
}

interface ChartSpec {
  title: string;
  note: string;
  kind: Kind;
  days: string[];
  lines: Line[];
  thresholds?: Threshold[];
}

// Card-network monitoring thresholds (disputes / sales transactions, monthly).
const NETWORK_LINES: Threshold[] = [
  {
    label: "Visa early warning 0.65%",
    value: 0.0065,
    color: "--chart-warn",
    left: true,
    below: true,
  },
  { label: "Visa standard 0.9%", value: 0.009, color: "--chart-orange", below: true },
  { label: "Mastercard 1%", value: 0.01, color: "--chart-purple", left: true },
  { label: "Visa VAMP excessive 1.5%", value: 0.015, color: "--chart-bad" },
];

export default function MetricsChart() {
  return (
    <IslandBoundary name="The metrics charts">
      <BusinessGate>{(business) => <Metrics businessId={business.id} />}</BusinessGate>
    </IslandBoundary>
  );
}

// While a new view loads, the previous figures stay (`stale`), so open tables stay open.
type Load<T> =
  | { status: "loading" }
  | { status: "error"; message: string }
  | { status: "ready"; data: T; stale?: boolean };

function useLoad<T>(
  request: () => Promise<{ data?: T; error?: unknown }>,
  keys: unknown[],
): [Load<T>, () => void] {
  const [state, setState] = useState<Load<T>>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    setState((last) =>
      last.status === "ready" ? { ...last, stale: true } : { status: "loading" },
    );
    request().then(
      ({ data, error }) => {
        if (!live) return;
        setState(
          data ? { status: "ready", data } : { status: "error", message: errorMessage(error) },
        );
      },
      (error: unknown) => live && setState({ status: "error", message: errorMessage(error) }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...keys, attempt]);
  return [state, () => setAttempt((n) => n + 1)];
}

function Metrics({ businessId }: { businessId: string }) {
  const [view, setView] = useState<View>(() => viewFromSearch(location.search));
  const [shortened, setShortened] = useState(false);

  useEffect(() => {
    history.replaceState(
      history.state,
      "",
      location.pathname + searchWithView(location.search, view),
    );
  }, [view]);

  const [metrics, retryMetrics] = useLoad(
    () =>
      api.GET("/api/v1/metrics/history", {
        params: {
          query: {
            business_id: businessId,
            granularity: view.granularity,
            start_date: view.start,
            end_date: view.end,
          },
        },
      }),
    [businessId, view.granularity, view.start, view.end],
  );
  const [scores, retryScores] = useLoad(
    () =>
      api.GET("/api/v1/readiness/history", {
        params: { query: { business_id: businessId, limit: 365 } },
      }),
    [businessId],
  );

  const change = (next: View) => {
    const fitted = fitView(next);
    setShortened(fitted.start !== next.start);
    setView(fitted);
  };

  return (
    <div className="metrics">
      <Controls view={view} onChange={change} />
      <p className="muted metrics-range" role="status">
        {describeRange(view, metrics)}
        {shortened &&
          ` The ${view.granularity} view covers at most ${MAX_DAYS[view.granularity]} days: the start moved.`}
      </p>
      {metrics.status === "loading" && (
        <p className="state" role="status">
          Loading metrics…
        </p>
      )}
      {metrics.status === "error" && <Failure message={metrics.message} retry={retryMetrics} />}
      {metrics.status === "ready" && metrics.data.metrics.length === 0 && (
        <div className="state">
          <p>No Stripe activity in this range yet.</p>
          <a className="button secondary" href="/dashboard/">
            Back to the overview
          </a>
        </div>
      )}
      <div className="metrics-grid">
        {metrics.status === "ready" && metrics.data.metrics.length > 0 && (
          <HistoryCharts history={metrics.data} />
        )}
        <ScoreChart scores={scores} view={view} retry={retryScores} />
      </div>
    </div>
  );
}

function describeRange(view: View, metrics: Load<Schemas["MetricHistoryRead"]>): string {
  const shown = `By ${view.granularity}, ${view.start} to ${view.end}.`;
  if (metrics.status !== "ready" || metrics.data.metrics.length === 0) return shown;
  if (metrics.stale) return `${shown} Updating…`;
  const first = metrics.data.start_date;
  const start = first > view.start ? ` The series starts at the first activity, ${first}.` : "";
  const partial = partialPeriodNote(metrics.data);
  return `${shown}${start}${partial ? ` ${partial}` : ""}`;
}

function Failure({ message, retry }: { message: string; retry: () => void }) {
  return (
    <div className="state error" role="alert">
      <p>{message}</p>
      <button type="button" className="button secondary" onClick={retry}>
        Try again
      </button>
    </div>
  );
}

function Controls({ view, onChange }: { view: View; onChange: (view: View) => void }) {
  const day = (key: "start" | "end") => (event: { target: { value: string } }) => {
    if (event.target.value) onChange({ ...view, [key]: event.target.value });
  };
  return (
    <form
      className="card metrics-controls"
      aria-label="Chart settings"
      onSubmit={(e) => e.preventDefault()}
    >
      <div className="field">
        <label htmlFor="metrics-granularity">Granularity</label>
        <select
          id="metrics-granularity"
          value={view.granularity}
          onChange={(event) =>
            onChange({ ...view, granularity: event.target.value as Granularity })
          }
        >
          <option value="day">Day</option>
          <option value="week">Week</option>
          <option value="month">Month</option>
        </select>
      </div>
      <fieldset className="metrics-dates">
        <legend className="visually-hidden">Date range</legend>
        <div className="field">
          <label htmlFor="metrics-start">From</label>
          <input
            id="metrics-start"
            type="date"
            value={view.start}
            max={view.end}
            onChange={day("start")}
          />
        </div>
        <div className="field">
          <label htmlFor="metrics-end">To</label>
          <input
            id="metrics-end"
            type="date"
            value={view.end}
            min={view.start}
            onChange={day("end")}
          />
        </div>
      </fieldset>
    </form>
  );
}

function HistoryCharts({ history }: { history: Schemas["MetricHistoryRead"] }) {
  const specs = useMemo<ChartSpec[]>(() => {
    const s = historySeries(history.metrics);
    return [
      {
        title: "Gross and net volume",
        note: "Successful charges, and what is left after refunds and lost disputes.",
        kind: "money",
        days: s.days,
        lines: [
          { label: "Gross volume", values: s.gross, color: "--chart-1", area: true },
          { label: "Net volume", values: s.net, color: "--chart-2" },
        ],
      },
      {
        title: "Refund rate",
        note: "Refunded amount as a share of gross volume.",
        kind: "percent",
        days: s.days,
        lines: [{ label: "Refund rate", values: s.refundRate, color: "--chart-1" }],
      },
      {
        title: "Dispute ratios",
        note:
          "Disputes opened per successful charge: Visa-style against the same period's charges, " +
          "Mastercard-style against the period before. The networks judge calendar months.",
        kind: "percent",
        days: s.days,
        lines: [
          { label: "Visa-style dispute ratio", values: s.disputeVisa, color: "--chart-1" },
          {
            label: "Mastercard-style dispute ratio",
            values: s.disputeMastercard,
            color: "--chart-2",
          },
        ],
        thresholds: NETWORK_LINES,
      },
      {
        title: "Payouts",
        note: "Amounts paid out to the bank, and payouts that failed.",
        kind: "money",
        days: s.days,
        lines: [
          { label: "Paid out", values: s.payoutsPaid, color: "--chart-1" },
          { label: "Failed", values: s.payoutsFailed, color: "--chart-bad" },
        ],
      },
      {
        title: "Top-customer share",
        note: "The largest customer's share of gross volume; the readiness score counts more than 25% as a risk.",
        kind: "percent",
        days: s.days,
        lines: [{ label: "Top-customer share", values: s.topCustomerShare, color: "--chart-1" }],
      },
    ];
  }, [history]);
  return specs.map((spec) => <Chart key={spec.title} spec={spec} currency={history.currency} />);
}

function ScoreChart({
  scores,
  view,
  retry,
}: {
  scores: Load<Schemas["ReadinessHistoryRead"]>;
  view: View;
  retry: () => void;
}) {
  const spec = useMemo<ChartSpec | null>(() => {
    if (scores.status !== "ready") return null;
    const { days, scores: values } = dailyScores(scores.data.scores, view);
    return {
      title: "Readiness score",
      note: `The funding-readiness score (0 to 100), the latest of each day: ${days.length} so far in this range.`,
      kind: "score",
      days,
      lines: [{ label: "Readiness score", values, color: "--chart-1" }],
    };
  }, [scores, view]);
  if (scores.status === "loading") return null;
  if (scores.status === "error") return <Failure message={scores.message} retry={retry} />;
  if (!spec || spec.days.length === 0) {
    return <p className="state">No readiness score in this range yet.</p>;
  }
  return <Chart spec={spec} currency="usd" />;
}

function formatter(kind: Kind, currency: string): (value: number | null | undefined) => string {
  if (kind === "money") return (v) => (v == null ? "—" : formatMoney(v, currency));
  if (kind === "percent") return (v) => formatPercent(v);
  return (v) => (v == null ? "—" : String(Math.round(v)));
}

function Chart({ spec, currency }: { spec: ChartSpec; currency: string }) {
  const [table, setTable] = useState(false);
  const format = formatter(spec.kind, currency);
  const id = spec.title.toLowerCase().replace(/[^a-z]+/g, "-");
  return (
    <figure className="card metrics-chart" aria-labelledby={`${id}-title`}>
      <div className="metrics-chart-head">
        <figcaption id={`${id}-title`}>{spec.title}</figcaption>
        <button
          type="button"
          className="button secondary metrics-toggle"
          aria-pressed={table}
          onClick={() => setTable(!table)}
        >
          Show as table
        </button>
      </div>
      <p className="muted metrics-note">{spec.note}</p>
      <ul className="metrics-legend">
        {spec.lines.map((line) => (
          <li key={line.label}>
            <span className={`metrics-swatch swatch${line.color}`} aria-hidden="true" />
            {line.label}
          </li>
        ))}
      </ul>
      {table ? <Table spec={spec} format={format} /> : <Plot spec={spec} currency={currency} />}
      {spec.thresholds && (
        <div className="metrics-thresholds">
          <h3>Card-network thresholds</h3>
          <ul className="metrics-legend">
            {spec.thresholds.map((line) => (
              <li key={line.label}>
                <span className={`metrics-swatch dashed swatch${line.color}`} aria-hidden="true" />
                {line.label}
              </li>
            ))}
          </ul>
        </div>
      )}
    </figure>
  );
}

function Table({ spec, format }: { spec: ChartSpec; format: (v: number | null) => string }) {
  return (
    <div className="metrics-table" role="region" aria-label={`${spec.title} table`} tabIndex={0}>
      <table>
        <thead>
          <tr>
            <th scope="col">Period start</th>
            {spec.lines.map((line) => (
              <th scope="col" key={line.label}>
                {line.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {spec.days.map((day, index) => (
            <tr key={day}>
              <th scope="row">{day}</th>
              {spec.lines.map((line) => (
                <td key={line.label}>{format(line.values[index] ?? null)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Plot({ spec, currency }: { spec: ChartSpec; currency: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const data: uPlot.AlignedData = [spec.days.map(daySeconds), ...spec.lines.map((l) => l.values)];
    const plot = new uPlot(plotOptions(spec, currency, element), data, element);
    const resize = new ResizeObserver(() => plot.setSize(size(element)));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [spec, currency]);
  return <div ref={box} className="metrics-plot" aria-hidden="true" />;
}

function size(element: HTMLElement): { width: number; height: number } {
  const width = element.clientWidth;
  return { width, height: width < 480 ? 200 : 240 };
}

function axisFormatter(kind: Kind, currency: string): (value: number) => string {
  if (kind === "money") {
    const compact = new Intl.NumberFormat("en-US", {
      style: "currency",
      currency: currency.toUpperCase(),
      notation: "compact",
    });
    return (v) => compact.format(toMajorUnits(v, currency));
  }
  if (kind === "percent") return (v) => `${+(v * 100).toFixed(2)}%`;
  return (v) => String(v);
}

function plotOptions(spec: ChartSpec, currency: string, element: HTMLElement): uPlot.Options {
  const css = getComputedStyle(element);
  const color = (name: string) => css.getPropertyValue(name).trim();
  const font = `12px ${color("--font")}`;
  const axis = {
    stroke: color("--muted"),
    font,
    grid: { stroke: color("--border"), width: 1 },
    ticks: { stroke: color("--border"), width: 1, size: 4 },
  };
  const format = formatter(spec.kind, currency);
  const tick = axisFormatter(spec.kind, currency);
  const floor =
    spec.kind === "percent"
      ? Math.max(0.001, ...(spec.thresholds ?? []).map((t) => t.value * 1.15))
      : 1;
  const few = spec.days.length < 40;
  return {
    ...size(element),
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    legend: { show: false },
    cursor: { y: false, drag: { x: false, y: false } },
    scales: {
      // The data's own span; a lone point gets a week around it, not uPlot's years.
      x: { time: true, range: () => span(spec.days) },
      y: {
        range: (_u, _min, max) =>
          spec.kind === "score" ? [0, 100] : [0, Math.max(floor, (max || 0) * 1.1)],
      },
    },
    axes: [
      { ...axis, space: 60 },
      { ...axis, size: 64, values: (_u, splits) => splits.map(tick) },
    ],
    series: [
      {},
      ...spec.lines.map((line) => ({
        label: line.label,
        stroke: color(line.color),
        width: 2,
        fill: line.area ? `${color(line.color)}1f` : undefined,
        points: { show: few, size: 5, fill: color(line.color) },
      })),
    ],
    hooks: { draw: [(u: uPlot) => drawThresholds(u, spec.thresholds ?? [], color, uPlot.pxRatio)] },
    plugins: [tooltip(spec, format, color)],
  };
}

function span(days: string[]): [number, number] {
  const first = daySeconds(days[0] ?? "");
  const last = daySeconds(days[days.length - 1] ?? "");
  return first === last ? [first - 3 * 86_400, last + 3 * 86_400] : [first, last];
}

/** The card-network lines, dashed, each labelled on the canvas (and as text beside it). */
function drawThresholds(
  u: uPlot,
  lines: Threshold[],
  color: (name: string) => string,
  ratio: number,
) {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.font = `${11 * ratio}px ${color("--font")}`;
  ctx.lineWidth = ratio;
  ctx.setLineDash([6 * ratio, 4 * ratio]);
  for (const line of lines) {
    const y = Math.round(u.valToPos(line.value, "y", true));
    ctx.strokeStyle = ctx.fillStyle = color(line.color);
    ctx.beginPath();
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.stroke();
    ctx.textAlign = line.left ? "left" : "right";
    const x = line.left ? bbox.left + 4 * ratio : bbox.left + bbox.width - 4 * ratio;
    ctx.textBaseline = line.below ? "top" : "bottom";
    ctx.fillText(line.label, x, line.below ? y + 3 * ratio : y - 3 * ratio);
  }
  ctx.restore();
}

/** A tooltip following the cursor: the period and each line's value, formatted in full. */
function tooltip(
  spec: ChartSpec,
  format: (v: number | null) => string,
  color: (name: string) => string,
): uPlot.Plugin {
  const tip = document.createElement("div");
  tip.className = "metrics-tooltip";
  return {
    hooks: {
      init: (u) => {
        u.over.appendChild(tip);
      },
      setCursor: (u) => {
        const index = u.cursor.idx;
        if (index == null || u.cursor.left == null || u.cursor.left < 0) {
          tip.hidden = true;
          return;
        }
        const rows = spec.lines.map((line) => {
          const row = document.createElement("div");
          const swatch = document.createElement("span");
          swatch.className = "metrics-swatch";
          swatch.style.background = color(line.color);
          row.append(swatch, `${line.label}: ${format(line.values[index] ?? null)}`);
          return row;
        });
        const head = document.createElement("strong");
        head.textContent = spec.days[index] ?? "";
        tip.replaceChildren(head, ...rows);
        tip.hidden = false;
        const left = Math.min(u.cursor.left + 12, u.over.clientWidth - tip.offsetWidth);
        tip.style.transform = `translate(${Math.max(0, left)}px, 8px)`;
      },
    },
  };
}
