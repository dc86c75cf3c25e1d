/**
 * The readiness score as a half-circle gauge: plain SVG, no chart library (it ships on every
 * dashboard page, inside a 100 KB budget). The element is a `meter` for screen readers; the tier
 * is shown as text beside it by the caller.
 */
import { humanize, tierBand } from "../lib/format";

type Props = {
  score: number;
  /** The accessible name, e.g. "Readiness score" or "Simulated readiness score". */
  label?: string;
  /** The API's tier ("not_ready"): colours the gauge and is read out with it. */
  tier?: string;
  size?: "large" | "small";
};

const RADIUS = 80;
const HALF_CIRCUMFERENCE = Math.PI * RADIUS;

export default function ScoreGauge({ score, label = "Readiness score", tier, size = "large" }: Props) {
  const clamped = Math.max(0, Math.min(100, Math.round(score)));
  const filled = (clamped / 100) * HALF_CIRCUMFERENCE;
  return (
    <div
      className={`score-gauge score-gauge-${size} band-${tierBand(tier)}`}
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={clamped}
      aria-valuetext={tier ? `${clamped} out of 100, ${humanize(tier)}` : `${clamped} out of 100`}
    >
      <svg viewBox="0 0 200 112" aria-hidden="true" focusable="false">
        <path className="score-gauge-track" d="M 20 100 A 80 80 0 0 1 180 100" />
        <path
          className="score-gauge-fill"
          d="M 20 100 A 80 80 0 0 1 180 100"
          strokeDasharray={`${filled} ${HALF_CIRCUMFERENCE}`}
        />
        <text x="100" y="92" textAnchor="middle" className="score-gauge-value">
          {clamped}
        </text>
        <text x="100" y="110" textAnchor="middle" className="score-gauge-scale">
          out of 100
        </text>
      </svg>
    </div>
  );
}
