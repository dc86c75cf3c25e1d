import BusinessGate from "./BusinessGate";
import IslandBoundary from "./IslandBoundary";

/**
 * The example island (a placeholder for the readiness overview): shows which business the page
 * is about. Real islands do the same, then fetch with `business_id: business.id`.
 */
export default function CurrentBusiness() {
  return (
    <IslandBoundary name="The business summary">
      <BusinessGate>
        {(business, me) => (
          <section className="card" aria-labelledby="current-business">
            <h2 id="current-business">{business.name}</h2>
            <p className="muted">
              Signed in as {me.name}. You are this business's {business.role}.
            </p>
          </section>
        )}
      </BusinessGate>
    </IslandBoundary>
  );
}
