/** Pure helpers for the "Share with a lender" panel (components/LenderShare.tsx). */
import type { Schemas } from "./api";

export type Share = Schemas["ShareRead"];
export type Section = Schemas["Section"];

/** The report's sections, in its order, with what each shows the lender. */
export const SECTIONS: { value: Section; label: string; hint: string }[] = [
  { value: "score", label: "Score and components", hint: "The score, tier and what makes it up" },
  { value: "metrics", label: "Metrics summary", hint: "Revenue, growth, payouts, customer shares" },
  { value: "revenue", label: "Monthly revenue chart", hint: "Up to 24 months, chart and table" },
  { value: "disputes", label: "Dispute and refund history", hint: "Against the card networks' thresholds" },
  { value: "funding", label: "Funding options", hint: "Which options you are likely eligible for" },
];

export const EXPIRY_CHOICES = [1, 7, 14, 30, 60, 90] as const;
export const DEFAULT_EXPIRY = 14;

export function statusText(share: Pick<Share, "status">): string {
  return { active: "Active", expired: "Expired", revoked: "Revoked" }[share.status];
}

export function viewsText(count: number): string {
  return count === 1 ? "1 view" : `${count.toLocaleString("en-US")} views`;
}

/** The chosen sections in the report's order; none chosen is an error the form shows. */
export function orderedSections(chosen: ReadonlySet<Section>): Section[] {
  return SECTIONS.map((s) => s.value).filter((value) => chosen.has(value));
}
