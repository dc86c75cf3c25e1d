import { humanize } from "../../lib/format";
import { formatWeight, orderedComponents, type Readiness } from "../../lib/readiness";

const STATUS_ICON = { helps: "+", hurts: "−", neutral: "•" } as const;

/** Each component under its API label, verbatim: helps, hurts or neutral, value, weight and
 * the API's explanation. What hurts comes first. */
export default function Breakdown({ readiness }: { readiness: Readiness }) {
  const components = orderedComponents(readiness.components);
  const counts = { helps: 0, hurts: 0, neutral: 0 };
  for (const [, component] of components) counts[component.status] += 1;
  return (
    <section className="card" aria-labelledby="breakdown-heading">
      <div className="section-head">
        <h2 id="breakdown-heading">What helps and what hurts</h2>
        <p className="muted small">
          {counts.hurts} hurt · {counts.neutral} neutral · {counts.helps} help
        </p>
      </div>
      <ul className="components">
        {components.map(([key, component]) => (
          <li key={key} className={`component status-${component.status}`} data-component={key}>
            <div className="component-head">
              <h3 className="component-label">{component.label}</h3>
              <span className={`status-chip status-${component.status}`}>
                <span aria-hidden="true">{STATUS_ICON[component.status]}</span>{" "}
                {humanize(component.status)}
              </span>
            </div>
            <dl className="component-figures">
              <div>
                <dt>Value</dt>
                <dd>{component.display}</dd>
              </div>
              <div>
                <dt>Weight</dt>
                <dd>{formatWeight(component.weight)}</dd>
              </div>
              <div>
                <dt>Component score</dt>
                {/* A component without data weighs 0: it has no score yet, not a score of 0. */}
                {component.weight === 0 ? (
                  <dd>not scored yet</dd>
                ) : (
                  <dd>
                    {Math.round(component.score)}
                    <span className="muted">/100</span>
                  </dd>
                )}
              </div>
            </dl>
            <div className="component-bar" aria-hidden="true">
              {/* Set from JS (CSSOM), which the page CSP allows; the island renders client-side. */}
              <span className="bar-fill" style={{ width: `${component.score}%` }} />
            </div>
            <p className="component-explanation">{component.explanation}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}
