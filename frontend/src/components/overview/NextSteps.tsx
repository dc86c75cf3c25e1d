import { errorMessage } from "../../lib/api";
import { withBusinessParam } from "../../lib/business";
import type { Part, Recommendation } from "../../lib/overview";

const PRIORITY = { high: "High priority", medium: "Medium priority", low: "Low priority" } as const;

/** The top three open recommendations, linking to the full list. */
export default function NextSteps({ recommendations }: { recommendations: Part<Recommendation[]> | null }) {
  const all = withBusinessParam("/dashboard/recommendations/");
  return (
    <section className="card" aria-labelledby="next-steps-heading">
      <div className="section-head">
        <h2 id="next-steps-heading">Next steps</h2>
        <a href={all}>All recommendations</a>
      </div>
      {recommendations === null ? (
        <p className="muted">Loading…</p>
      ) : !recommendations.ok ? (
        <p className="state error" role="alert">
          {errorMessage(recommendations.error)}
        </p>
      ) : recommendations.value.length === 0 ? (
        <p className="muted">
          No open recommendations: nothing stands out to fix right now. New ones appear when your
          numbers change.
        </p>
      ) : (
        <ol className="next-steps">
          {recommendations.value.map((item) => (
            <li key={item.id} className="next-step">
              <div className="next-step-head">
                <h3>{item.title}</h3>
                {item.impact > 0 && (
                  <span className="impact" title="Expected score change if the target is reached">
                    +{item.impact} {item.impact === 1 ? "point" : "points"}
                  </span>
                )}
              </div>
              <p className="muted small">
                <span className={`priority-${item.priority}`}>{PRIORITY[item.priority]}</span>
              </p>
              <p className="next-step-body">{item.body}</p>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
