/**
 * The recommendations page: what to change, what it would do to the score, and the founder's
 * answer (accept, dismiss, undo). The list is fetched once; filters and sorting work on it in
 * the browser, and each action updates it in place before the API answers, rolling back if the
 * API refuses.
 */
import { useCallback, useEffect, useRef, useState } from "react";

import { api, errorMessage } from "../lib/api";
import { formatDateTime, humanize } from "../lib/format";
import {
  ACTION_DONE,
  applyAction,
  groupRecommendations,
  impactText,
  replaceItem,
  sortRecommendations,
  type Action,
  type PriorityFilter,
  type Recommendation,
  type SortKey,
  type Status,
  type StatusFilter,
} from "../lib/recommendations";
import "../styles/recommendations.css";
import BusinessGate from "./BusinessGate";
import IslandBoundary from "./IslandBoundary";

const GROUP_EMPTY: Record<Status, string> = {
  open: "Nothing open right now.",
  accepted: "Accept a recommendation to keep track of what you are working on.",
  dismissed: "Nothing dismissed.",
  resolved: "No recommendation has resolved yet.",
};
const GROUP_TITLE: Record<Status, string> = {
  open: "Open",
  accepted: "Accepted",
  dismissed: "Dismissed",
  resolved: "Resolved",
};
const PRIORITY_LABEL: Record<Recommendation["priority"], string> = {
  high: "High priority",
  medium: "Medium priority",
  low: "Low priority",
};
const ACTION_VERB: Record<Action, string> = { accepted: "accept", dismissed: "dismiss", open: "undo" };

type Load =
  | { state: "loading" }
  | { state: "error"; message: string }
  | { state: "ready"; items: Recommendation[] };

function RecommendationsBody({ businessId }: { businessId: string }) {
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [status, setStatus] = useState<StatusFilter>("active");
  const [priority, setPriority] = useState<PriorityFilter>("all");
  const [sort, setSort] = useState<SortKey>("priority");
  const [pending, setPending] = useState<ReadonlySet<string>>(new Set());
  const [failure, setFailure] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const [showResolved, setShowResolved] = useState(false);
  const focusAfter = useRef<string | null>(null);

  useEffect(() => {
    let live = true;
    setLoad({ state: "loading" });
    api
      .GET("/api/v1/recommendations", { params: { query: { business_id: businessId } } })
      .then(({ data, error }) => {
        if (!live) return;
        setLoad(
          data
            ? { state: "ready", items: data.recommendations }
            : { state: "error", message: errorMessage(error) },
        );
      })
      .catch(() => live && setLoad({ state: "error", message: errorMessage(null) }));
    return () => {
      live = false;
    };
  }, [businessId, attempt]);

  // Keyboard focus follows an item to its new group, onto its first action button once the
  // API has answered (the buttons are disabled until then).
  useEffect(() => {
    const id = focusAfter.current;
    if (!id) return;
    const button = document.querySelector<HTMLButtonElement>(`[data-rec="${id}"] .rec-actions button`);
    if (button && !button.disabled) {
      focusAfter.current = null;
      button.focus();
    }
  });

  const act = useCallback(async (item: Recommendation, action: Action) => {
    setFailure(null);
    setPending((ids) => new Set(ids).add(item.id));
    setLoad((current) =>
      current.state === "ready"
        ? { state: "ready", items: replaceItem(current.items, applyAction(item, action, new Date())) }
        : current,
    );
    focusAfter.current = item.id;
    let saved: Recommendation | undefined;
    let problem: unknown = null;
    try {
      const { data, error } = await api.PATCH("/api/v1/recommendations/{recommendation_id}", {
        params: { path: { recommendation_id: item.id } },
        body: { status: action },
      });
      saved = data;
      problem = error;
    } catch (error) {
      problem = error;
    }
    setPending((ids) => {
      const next = new Set(ids);
      next.delete(item.id);
      return next;
    });
    // Success: the server's copy; failure: the item as it was before the click.
    setLoad((current) =>
      current.state === "ready"
        ? { state: "ready", items: replaceItem(current.items, saved ?? item) }
        : current,
    );
    if (saved) {
      setAnnouncement(`${ACTION_DONE[action]}: “${item.title}”.`);
    } else {
      setFailure(`Could not ${ACTION_VERB[action]} “${item.title}”. ${errorMessage(problem)}`);
    }
  }, []);

  if (load.state === "loading") {
    return (
      <p className="state" role="status">
        Loading recommendations…
      </p>
    );
  }
  if (load.state === "error") {
    return (
      <div className="state error" role="alert">
        <p>{load.message}</p>
        <button type="button" className="button secondary" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </button>
      </div>
    );
  }
  if (load.items.length === 0) {
    return (
      <div className="state card">
        <p>No recommendations yet.</p>
        <p>
          They appear once your Stripe data has synced and your readiness score is computed: each
          one says what to change and what it would do to your score.
        </p>
      </div>
    );
  }

  const groups = groupRecommendations(load.items, { status, priority, sort });
  const resolved = sortRecommendations(
    load.items.filter((item) => item.status === "resolved"),
    sort,
  );
  const openCount = load.items.filter((item) => item.status === "open").length;
  const openImpact = load.items
    .filter((item) => item.status === "open" && item.impact > 0)
    .reduce((sum, item) => sum + item.impact, 0);

  const renderItem = (item: Recommendation) => (
    <RecommendationItem
      key={item.id}
      item={item}
      busy={pending.has(item.id)}
      onAction={(action) => void act(item, action)}
    />
  );

  return (
    <div className="recs">
      <p className="recs-summary">
        {openCount === 0
          ? "You have no open recommendations."
          : `${openCount} open ${openCount === 1 ? "recommendation" : "recommendations"}` +
            (openImpact > 0 ? `, worth up to about ${openImpact} points together.` : ".")}{" "}
        <span className="muted">
          Points are estimates from the readiness model: what the score would gain if the target
          were reached, each on its own.
        </span>
      </p>

      <div className="recs-filters card" role="group" aria-label="Filter and sort">
        <div className="field">
          <label htmlFor="rec-status">Status</label>
          <select
            id="rec-status"
            value={status}
            onChange={(event) => setStatus(event.target.value as StatusFilter)}
          >
            <option value="active">Open, accepted and dismissed</option>
            <option value="open">Open</option>
            <option value="accepted">Accepted</option>
            <option value="dismissed">Dismissed</option>
            <option value="resolved">Resolved</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="rec-priority">Priority</label>
          <select
            id="rec-priority"
            value={priority}
            onChange={(event) => setPriority(event.target.value as PriorityFilter)}
          >
            <option value="all">All priorities</option>
            <option value="high">High</option>
            <option value="medium">Medium</option>
            <option value="low">Low</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="rec-sort">Sort by</label>
          <select id="rec-sort" value={sort} onChange={(event) => setSort(event.target.value as SortKey)}>
            <option value="priority">Priority</option>
            <option value="impact">Impact on score</option>
          </select>
        </div>
      </div>

      <div className="recs-messages">
        {failure && (
          <div className="state error recs-failure" role="alert">
            <p>{failure}</p>
            <button type="button" className="button secondary" onClick={() => setAttempt((n) => n + 1)}>
              Reload the list
            </button>
          </div>
        )}
        <p className="visually-hidden" role="status">
          {announcement}
        </p>
      </div>

      {groups.map((group) => (
        <section
          key={group.status}
          className={`recs-group recs-group-${group.status}`}
          aria-labelledby={`recs-${group.status}`}
        >
          <div className="recs-group-head">
            <h2 id={`recs-${group.status}`}>{GROUP_TITLE[group.status]}</h2>
            <span className="recs-count" aria-hidden="true">
              {group.items.length}
            </span>
          </div>
          {group.items.length > 0 ? (
            <ul className="recs-list">{group.items.map(renderItem)}</ul>
          ) : (
            <p className="muted recs-empty">
              {priority === "all" ? GROUP_EMPTY[group.status] : `None with ${priority} priority.`}
            </p>
          )}
        </section>
      ))}

      {status === "active" && (
        <section className="recs-group recs-resolved" aria-labelledby="recs-resolved">
          <div className="recs-group-head">
            <h2 id="recs-resolved">Resolved</h2>
            <span className="recs-count" aria-hidden="true">
              {resolved.length}
            </span>
          </div>
          <p className="muted">
            Their condition has cleared in your latest Stripe data; one comes back if its
            condition does.
          </p>
          {resolved.length === 0 ? (
            <p className="muted recs-empty">{GROUP_EMPTY.resolved}</p>
          ) : (
            <>
              <button
                type="button"
                className="button secondary"
                aria-expanded={showResolved}
                aria-controls="recs-resolved-list"
                onClick={() => setShowResolved((shown) => !shown)}
              >
                {showResolved ? "Hide resolved" : `Show resolved (${resolved.length})`}
              </button>
              {showResolved && (
                <ul className="recs-list" id="recs-resolved-list">
                  {resolved.map(renderItem)}
                </ul>
              )}
            </>
          )}
        </section>
      )}
    </div>
  );
}

function RecommendationItem({
  item,
  busy,
  onAction,
}: {
  item: Recommendation;
  busy: boolean;
  onAction: (action: Action) => void;
}) {
  const titleId = `rec-${item.id}-title`;
  const when =
    item.status === "resolved"
      ? `Resolved ${formatDateTime(item.resolved_at)}`
      : item.status === "accepted"
        ? `Accepted ${formatDateTime(item.accepted_at)}`
        : item.status === "dismissed"
          ? `Dismissed ${formatDateTime(item.dismissed_at)}`
          : `Since ${formatDateTime(item.opened_at)}`;
  const impactSign = item.impact > 0 ? "+" : item.impact < 0 ? "−" : "";
  return (
    <li className={`rec card rec-${item.status}`} data-rec={item.id} aria-labelledby={titleId}>
      <div className="rec-main">
        <div className="rec-tags">
          <span className={`badge priority-${item.priority}`}>{PRIORITY_LABEL[item.priority]}</span>
          <span className="rec-component">{humanize(item.component)}</span>
        </div>
        <h3 id={titleId}>{item.title}</h3>
        <p className="rec-body">{item.body}</p>
        <div className="rec-foot">
          <p className="rec-when muted">{when}</p>
          {item.status !== "resolved" && (
            <div className="rec-actions">
              {item.status === "open" ? (
                <>
                  <button
                    type="button"
                    className="button"
                    disabled={busy}
                    onClick={() => onAction("accepted")}
                  >
                    Accept
                  </button>
                  <button
                    type="button"
                    className="button secondary"
                    disabled={busy}
                    onClick={() => onAction("dismissed")}
                  >
                    Dismiss
                  </button>
                </>
              ) : (
                <button
                  type="button"
                  className="button secondary"
                  disabled={busy}
                  onClick={() => onAction("open")}
                >
                  Undo
                </button>
              )}
            </div>
          )}
        </div>
      </div>
      {item.category === "funding" ? (
        // A funding next step (what a lender will ask for, what unlocks the next product)
        // moves no metric: it has no score change to show.
        <p className="rec-impact">
          <span className="rec-impact-caption">funding next step</span>
        </p>
      ) : (
        <p className={`rec-impact${item.impact > 0 ? " gain" : ""}`}>
          <span className="rec-impact-points" aria-hidden="true">
            {impactSign}
            {Math.abs(item.impact)}
            <small>points</small>
          </span>
          <span className="rec-impact-caption" aria-hidden="true">
            {item.impact > 0 ? "estimated gain" : "score change"}
          </span>
          <span className="visually-hidden">{impactText(item.impact)}</span>
        </p>
      )}
    </li>
  );
}

export default function RecommendationList() {
  return (
    <IslandBoundary name="The recommendations">
      <BusinessGate>{(business) => <RecommendationsBody businessId={business.id} />}</BusinessGate>
    </IslandBoundary>
  );
}
