/**
 * Formatting shared by the pages: the API's enum words for people ("not_ready" -> "not ready"),
 * ratios as percentages, and dates. Money lives in money.ts.
 */

/** The API's words with spaces for underscores, as the founder reads them. */
export function humanize(word: string | null | undefined): string {
  return (word ?? "").replaceAll("_", " ");
}

/** A colour band for a readiness tier (CSS classes `band-good`, `band-warn`, `band-bad`). */
export function tierBand(tier: string | null | undefined): "good" | "warn" | "bad" | "none" {
  switch (tier) {
    case "strong":
    case "ready":
      return "good";
    case "emerging":
      return "warn";
    case "not_ready":
    case "insufficient_data":
      return "bad";
    default:
      return "none";
  }
}

/** 0.0123 -> "1.23%"; ratios arrive as fractions. `digits` decimals, trailing zeros kept. */
export function formatPercent(fraction: number | null | undefined, digits = 2): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return "—";
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** A signed change in percent: +12.3% / −4.0%; "—" when there is no base to compare with. */
export function formatChange(current: number, previous: number): string {
  if (!previous) return "—";
  const change = ((current - previous) / Math.abs(previous)) * 100;
  const sign = change > 0 ? "+" : change < 0 ? "−" : "";
  return `${sign}${Math.abs(change).toFixed(1)}%`;
}

/** "2026-12-02T10:00:00Z" -> "2 Dec 2026, 10:00" in the browser's time zone. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "—";
  return date.toLocaleString("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}
