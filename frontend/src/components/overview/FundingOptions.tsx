import { criteriaMet, firstUnmet, type FundingOption } from "../../lib/readiness";

/** Each funding product: eligible, or not yet with the first unmet criterion and how far off
 * it is. Heuristics on published criteria, not lender decisions; the note says so. */
export default function FundingOptions({
  options,
  currency,
}: {
  options: FundingOption[];
  currency: string;
}) {
  const eligible = options.filter((option) => option.eligible).length;
  return (
    <section className="card" aria-labelledby="funding-heading">
      <div className="section-head">
        <h2 id="funding-heading">Funding options</h2>
        <p className="muted small">
          {eligible} of {options.length} within reach
        </p>
      </div>
      <ul className="funding-options">
        {options.map((option) => {
          const next = firstUnmet(option, currency);
          const { met, measurable } = criteriaMet(option);
          return (
            <li key={option.type} className="funding-option" data-funding={option.type}>
              <div className="funding-head">
                <h3>{option.name}</h3>
                <span className={`status-chip ${option.eligible ? "status-helps" : "status-neutral"}`}>
                  {option.eligible ? "Eligible" : "Not yet"}
                </span>
              </div>
              {next ? (
                <div className="funding-next">
                  <p>
                    <span className="muted">First to reach: </span>
                    {next.description}
                    {next.distance && (
                      <>
                        {" "}
                        <strong className="distance">({next.distance})</strong>
                      </>
                    )}
                  </p>
                  <p className="muted small">{next.message}</p>
                </div>
              ) : (
                <p className="muted small">
                  Meets all {measurable} criteria Stripe data can show. A lender also checks what it
                  can't, such as credit history.
                </p>
              )}
              {next && (
                <p className="muted small">
                  {met} of {measurable} measurable criteria met
                </p>
              )}
            </li>
          );
        })}
      </ul>
      <p className="muted small">
        Estimates from lenders' published criteria, not offers or lender decisions.
      </p>
    </section>
  );
}
