/**
 * Today's funding options: eligible or not yet, every criterion with its current value, the
 * requirement and the distance, and where the threshold comes from.
 */
import {
  formatDistance,
  formatRequired,
  formatValue,
  splitCriteria,
  type FundingOption,
} from "../lib/funding";

export default function FundingOptions({
  options,
  currency,
}: {
  options: FundingOption[];
  currency: string;
}) {
  const eligible = options.filter((option) => option.eligible).length;
  return (
    <section className="funding-options" aria-labelledby="funding-options">
      <h2 id="funding-options">Funding options</h2>
      <p className="muted funding-lead">
        {eligible === 0
          ? "None of these looks within reach yet."
          : `${eligible} of ${options.length} look within reach.`}{" "}
        Estimates modelled on lenders' published criteria, measured from your Stripe data: not
        offers or decisions. <a href="#simulator-heading">Try the what-if simulator</a> to see
        what would change them.
      </p>
      <ul className="funding-grid">
        {options.map((option) => (
          <OptionCard key={option.type} option={option} currency={currency} />
        ))}
      </ul>
    </section>
  );
}

function OptionCard({ option, currency }: { option: FundingOption; currency: string }) {
  const { measured, unmeasured } = splitCriteria(option);
  const headingId = `option-${option.type}`;
  return (
    <li className={`card option ${option.eligible ? "option-eligible" : "option-not-yet"}`}>
      <div className="option-head">
        <h3 id={headingId}>{option.name}</h3>
        <span className={`status-pill ${option.eligible ? "is-good" : "is-pending"}`}>
          {option.eligible ? "Eligible" : "Not yet"}
        </span>
      </div>
      <table className="criteria" aria-labelledby={headingId}>
        <thead>
          <tr>
            <th scope="col">Criterion</th>
            <th scope="col">Current</th>
            <th scope="col">Required</th>
            <th scope="col">Distance</th>
          </tr>
        </thead>
        <tbody>
          {measured.map((criterion) => (
            <tr key={criterion.criterion} className={criterion.met ? "met" : "unmet"}>
              <th scope="row">
                <span className="criterion-mark" aria-hidden="true">
                  {criterion.met ? "✓" : "✕"}
                </span>
                {criterion.description}
                <span className="visually-hidden">{criterion.met ? " (met)" : " (not met)"}</span>
              </th>
              <td data-label="Current">{formatValue(criterion.current, criterion.unit, currency)}</td>
              <td data-label="Required">{formatRequired(criterion, currency)}</td>
              <td data-label="Distance" className="distance">
                {formatDistance(criterion, currency)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {unmeasured.length > 0 && (
        <div className="option-unmeasured">
          <h4>Lenders also check</h4>
          <ul>
            {unmeasured.map((criterion) => (
              <li key={criterion.criterion}>{criterion.description}</li>
            ))}
          </ul>
        </div>
      )}
      <p className="option-source">
        <span>Source of the thresholds:</span> {option.source}
      </p>
    </li>
  );
}
