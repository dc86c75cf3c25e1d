/**
 * What the recommendations page does with the list it fetched once: filter, sort, group by
 * status, and the optimistic copy of an item after an action (rolled back if the API refuses).
 */
import type { Schemas } from "./api";

export type Recommendation = Schemas["RecommendationRead"];
export type Status = Recommendation["status"];
export type Priority = Recommendation["priority"];
/** The statuses a founder can set; "open" undoes an accept or a dismiss. */
export type Action = "accepted" | "dismissed" | "open";
export type SortKey = "priority" | "impact";
/** "active": every status but resolved (the default view). */
export type StatusFilter = "active" | Status;
export type PriorityFilter = "all" | Priority;

/** Headings of the default view, in this order; resolved ones are shown apart. */
export const ACTIVE_STATUSES: readonly Status[] = ["open", "accepted", "dismissed"];
const PRIORITY_RANK: Record<Priority, number> = { high: 0, medium: 1, low: 2 };

function byPriority(a: Recommendation, b: Recommendation): number {
  return PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || b.impact - a.impact;
}

function byImpact(a: Recommendation, b: Recommendation): number {
  return b.impact - a.impact || PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority];
}

/** Sorted copy; ties keep a stable order by title so items don't jump between renders. */
export function sortRecommendations(items: Recommendation[], key: SortKey): Recommendation[] {
  const compare = key === "impact" ? byImpact : byPriority;
  return [...items].sort((a, b) => compare(a, b) || a.title.localeCompare(b.title));
}

/** The groups to show, each with its sorted items (empty groups included, to say so). */
export function groupRecommendations(
  items: Recommendation[],
  filter: { status: StatusFilter; priority: PriorityFilter; sort: SortKey },
): { status: Status; items: Recommendation[] }[] {
  const statuses = filter.status === "active" ? ACTIVE_STATUSES : [filter.status];
  const wanted = items.filter(
    (item) => filter.priority === "all" || item.priority === filter.priority,
  );
  return statuses.map((status) => ({
    status,
    items: sortRecommendations(
      wanted.filter((item) => item.status === status),
      filter.sort,
    ),
  }));
}

/** The item as the API will return it after `action`, shown before the API answers. */
export function applyAction(item: Recommendation, action: Action, now: Date): Recommendation {
  const at = now.toISOString();
  return {
    ...item,
    status: action,
    // As the API sets them: accepting or undoing ends a dismissal; dismissing keeps accepted_at.
    accepted_at: action === "accepted" ? at : action === "open" ? null : item.accepted_at,
    dismissed_at: action === "dismissed" ? at : null,
    updated_at: at,
  };
}

/** The list with one item replaced (same position), by id. */
export function replaceItem(items: Recommendation[], next: Recommendation): Recommendation[] {
  return items.map((item) => (item.id === next.id ? next : item));
}

/** "Would add about 4 points to your score"; the API's impact is in score points. */
export function impactText(impact: number): string {
  if (impact > 0) return `Would add about ${impact} ${impact === 1 ? "point" : "points"} to your score`;
  if (impact < 0) return `Would lower your score by about ${-impact} ${impact === -1 ? "point" : "points"}`;
  return "No change to your score on its own";
}

/** Past tense of an action, for the status message after it succeeds. */
export const ACTION_DONE: Record<Action, string> = {
  accepted: "Accepted",
  dismissed: "Dismissed",
  open: "Moved back to open",
};
