import { useState } from "react";

import { api, errorMessage } from "../../lib/api";
import { formatDateTime } from "../../lib/format";
import { isSyncing, type StripeStatus } from "../../lib/overview";

function objects(count: number): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? "object" : "objects"}`;
}

/** Last synced, syncing now, or the error, above the score. Owners and admins can ask for a
 * sync again after a failure (POST /integrations/stripe/sync, once a minute). */
export default function SyncBanner({
  status,
  businessId,
  canManage,
  onSyncRequested,
}: {
  status: StripeStatus;
  businessId: string;
  canManage: boolean;
  onSyncRequested: () => void;
}) {
  const [requestError, setRequestError] = useState<string | null>(null);
  const [requesting, setRequesting] = useState(false);
  const sync = status.sync;

  const requestSync = async () => {
    setRequesting(true);
    setRequestError(null);
    const { error } = await api.POST("/api/v1/integrations/stripe/sync", {
      params: { query: { business_id: businessId } },
    });
    setRequesting(false);
    if (error) setRequestError(errorMessage(error));
    else onSyncRequested();
  };

  if (sync.state === "failed") {
    return (
      <div className="sync-banner sync-failed" role="alert">
        <p>
          <strong>The last Stripe sync failed</strong>
          {sync.error ? `: ${sync.error}` : "."} The score below uses the data synced before it
          {status.last_synced_at ? ` (${formatDateTime(status.last_synced_at)})` : ""}.
        </p>
        {canManage && (
          <button type="button" className="button secondary" onClick={requestSync} disabled={requesting}>
            {requesting ? "Asking Stripe…" : "Sync again"}
          </button>
        )}
        {requestError && <p className="field-error">{requestError}</p>}
      </div>
    );
  }
  if (isSyncing(status)) {
    const what = sync.full ? "Importing your Stripe history" : "Syncing with Stripe";
    return (
      <div className="sync-banner sync-running" role="status">
        <span className="spinner" aria-hidden="true" />
        <p>
          <strong>{sync.state === "interrupted" ? "Sync interrupted" : `${what} now`}</strong>
          {" · "}
          {sync.state === "interrupted"
            ? "it resumes where it stopped"
            : sync.state === "queued"
              ? "starting"
              : `${objects(sync.objects_synced)} so far`}
        </p>
      </div>
    );
  }
  return (
    <div className="sync-banner" role="status">
      <span className="dot" aria-hidden="true" />
      <p>
        Stripe connected · Last synced {formatDateTime(status.last_synced_at ?? sync.finished_at)}
      </p>
    </div>
  );
}
