import { kpisFromHistory, type DailyPoint } from "../../lib/kpis";
import Sparkline from "./Sparkline";

const DIRECTION_WORDS = { good: "better", bad: "worse", flat: "no change" } as const;

/** Gross and net volume, dispute ratio and refund rate over the last 30 days, each against the
 * 30 days before, with a sparkline. */
export default function KpiTiles({ points, currency }: { points: DailyPoint[]; currency: string }) {
  const kpis = kpisFromHistory(points, currency);
  return (
    <ul className="kpi-tiles" aria-label="Last 30 days">
      {kpis.map((kpi) => (
        <li key={kpi.key} className="kpi card">
          <p className="kpi-label">{kpi.label}</p>
          <p className="kpi-value">{kpi.value}</p>
          <p className={`kpi-change change-${kpi.direction}`}>
            <span>{kpi.change}</span>
            <span className="visually-hidden"> ({DIRECTION_WORDS[kpi.direction]})</span>
            <span className="muted"> vs previous 30 days</span>
          </p>
          <Sparkline series={kpi.series} label={`${kpi.seriesLabel}, last 30 days`} />
        </li>
      ))}
    </ul>
  );
}
