import { humanize } from "../../lib/format";
import { isSyncing, type StripeStatus } from "../../lib/overview";
import { connectErrorMessage } from "../../lib/readiness";

export function connectHref(businessId: string): string {
  return `/onboarding/stripe-connect?business_id=${encodeURIComponent(businessId)}`;
}

/** The callback's `stripe=error&reason=…`: the reason, and the way back to try again. */
export function ConnectError({ reason, businessId }: { reason: string | null; businessId: string }) {
  return (
    <div className="card notice notice-error" role="alert">
      <h2>Stripe was not connected</h2>
      <p>{connectErrorMessage(reason)}</p>
      {reason && <p className="muted small">Reason code: {reason}</p>}
      <a className="button" href={connectHref(businessId)}>
        Try connecting again
      </a>
    </div>
  );
}

/** No Stripe account yet: why the page is empty and what to do. */
export function NotConnected({ businessId, canManage }: { businessId: string; canManage: boolean }) {
  return (
    <section className="card empty" aria-labelledby="not-connected-heading">
      <h2 id="not-connected-heading">Connect Stripe to see your readiness score</h2>
      <p>
        Vaultra reads your Stripe payments, refunds, disputes and payouts (read-only) and turns
        them into a funding-readiness score from 0 to 100, what helps and hurts it, and which
        funding options are within reach.
      </p>
      {canManage ? (
        <>
          <a className="button" href={connectHref(businessId)}>
            Connect Stripe
          </a>
          <p className="muted small">No Stripe account? The next page offers sample merchants to try.</p>
        </>
      ) : (
        <p className="muted">Ask an owner or admin of this business to connect its Stripe account.</p>
      )}
    </section>
  );
}

/** Disconnected after a score: the last figures stay, said to be frozen, with the way back. */
export function Disconnected({ businessId, canManage }: { businessId: string; canManage: boolean }) {
  return (
    <section className="state error" aria-labelledby="disconnected-heading">
      <h2 id="disconnected-heading">Stripe is not connected</h2>
      <p>
        The figures below are from the last sync and will not change until Stripe is connected
        again.
      </p>
      {canManage ? (
        <a className="button" href={connectHref(businessId)}>
          Connect Stripe
        </a>
      ) : (
        <p className="muted">Ask an owner or admin of this business to connect its Stripe account.</p>
      )}
    </section>
  );
}

/** Connected, no score yet: the backfill live (state, objects synced), then "computing". */
export function AwaitingScore({
  status,
  polling,
  onCheckAgain,
}: {
  status: StripeStatus;
  polling: boolean;
  onCheckAgain: () => void;
}) {
  const sync = status.sync;
  const syncing = isSyncing(status);
  return (
    <section className="card empty" aria-labelledby="awaiting-heading">
      <h2 id="awaiting-heading">
        {syncing ? "Importing your Stripe data" : polling ? "Computing your score" : "Your score isn't ready yet"}
      </h2>
      <div role="status" className="progress-line">
        {polling && <span className="spinner" aria-hidden="true" />}
        <p>
          Sync: <strong data-testid="sync-state">{humanize(sync.state)}</strong> ·{" "}
          <strong data-testid="objects-synced">{sync.objects_synced.toLocaleString("en-US")}</strong> objects
          synced
        </p>
      </div>
      {syncing ? (
        <p className="muted">
          Vaultra is reading your payment history. This takes from a few seconds to a few minutes;
          the score appears here by itself when it is ready.
        </p>
      ) : polling ? (
        <p className="muted">The data is in. The score follows in a few seconds.</p>
      ) : sync.state === "failed" ? (
        <p className="muted">
          The import failed{sync.error ? ` (${sync.error})` : ""}. Vaultra retries on its own; you
          can also check again in a minute.
        </p>
      ) : (
        <p className="muted">
          Vaultra computes the score once your Stripe data has synced. If you just connected,
          check again in a minute.
        </p>
      )}
      {!polling && (
        <button type="button" className="button secondary" onClick={onCheckAgain}>
          Check again
        </button>
      )}
    </section>
  );
}

/** A score from under 90 days of history: why it is not yet reliable, and what to do. */
export function InsufficientData() {
  return (
    <div className="card notice" role="note">
      <h2>Not enough history for a reliable score yet</h2>
      <p>
        Lenders and this score look for at least 90 days of processing. Keep taking payments
        through Stripe: Vaultra syncs every day and the tier appears once you pass 90 days. Until
        then the breakdown below shows where you stand and what to work on.
      </p>
    </div>
  );
}
