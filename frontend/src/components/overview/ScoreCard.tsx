import { formatDateTime, humanize, tierBand } from "../../lib/format";
import { capNote, revenueTrendWords, tierMeaning, trendWords, type Readiness } from "../../lib/readiness";
import ScoreGauge from "../ScoreGauge";

/** The score first: the gauge, the tier in the API's words, the score's own 30-day trend, the
 * revenue trend (a separate figure), and any cap. */
export default function ScoreCard({ readiness }: { readiness: Readiness }) {
  const tier = humanize(readiness.tier);
  const trend = trendWords(readiness.score_trend.direction);
  const cap = capNote(readiness);
  return (
    <section className="card score-card" aria-labelledby="score-heading">
      <h2 id="score-heading" className="section-label">
        Funding readiness
      </h2>
      <div className="score-body">
        <ScoreGauge score={readiness.score} tier={readiness.tier} label="Readiness score" />
        <div className="score-text">
          <p className={`tier-badge band-${tierBand(readiness.tier)}`} data-testid="tier">
            {tier}
          </p>
          <p className={`trend trend-${readiness.score_trend.direction}`} data-testid="score-trend">
            <span aria-hidden="true">{trend.arrow}</span> {trend.text}
          </p>
          <p className="revenue-trend muted small" data-testid="revenue-trend" title={readiness.revenue_trend.explanation}>
            {revenueTrendWords(readiness.revenue_trend)}
          </p>
          <p className="tier-meaning">{tierMeaning(readiness.tier)}</p>
        </div>
      </div>
      {cap && (
        <p className="cap-note" role="note">
          <strong>Capped: </strong>
          {cap}
        </p>
      )}
      <p className="muted small">Updated {formatDateTime(readiness.computed_at)}</p>
    </section>
  );
}
