import { sparklinePoints } from "../../lib/kpis";

const WIDTH = 120;
const HEIGHT = 32;

/** A tiny line of daily values: plain SVG, no chart library (the page has a 100 KB budget). */
export default function Sparkline({ series, label }: { series: number[]; label: string }) {
  if (series.length < 2) return null;
  const points = sparklinePoints(series, WIDTH, HEIGHT);
  return (
    <svg
      className="sparkline"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={label}
    >
      <polyline points={`0,${HEIGHT} ${points} ${WIDTH},${HEIGHT}`} className="sparkline-area" />
      <polyline points={points} className="sparkline-line" />
    </svg>
  );
}
