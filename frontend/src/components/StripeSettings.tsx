import { useCallback, useEffect, useRef, useState } from "react";

import "../styles/settings.css";
import { api, errorMessage, type Schemas } from "../lib/api";
import { formatDateTime } from "../lib/format";
import type { BusinessSummary } from "../lib/session";
import BusinessGate from "./BusinessGate";
import ConfirmDialog from "./ConfirmDialog";
import IslandBoundary from "./IslandBoundary";

type Status = Schemas["StripeStatus"];
const POLL_MS = 1000;
const IN_PROGRESS = new Set(["queued", "running"]);

/**
 * The Stripe connection: status and last sync; "Sync now" (202, or 429 with Retry-After) with
 * the sync followed until it ends; "Disconnect" behind a confirmation.
 */
export default function StripeSettings() {
  return (
    <IslandBoundary name="The Stripe connection">
      <BusinessGate>{(business) => <StripeConnection key={business.id} business={business} />}</BusinessGate>
    </IslandBoundary>
  );
}

function StripeConnection({ business }: { business: BusinessSummary }) {
  const [status, setStatus] = useState<Status | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const [retryAt, setRetryAt] = useState<number | null>(null);
  const [now, setNow] = useState(Date.now());
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState<string | null>(null);
  const timer = useRef<number | undefined>(undefined);
  const canManage = business.role === "owner" || business.role === "admin";
  const query = { params: { query: { business_id: business.id } } };

  const load = useCallback(() => {
    window.clearTimeout(timer.current);
    api.GET("/api/v1/integrations/stripe/status", { params: { query: { business_id: business.id } } }).then(
      ({ data, error }) => {
        if (!data) {
          setLoadError(errorMessage(error));
          return;
        }
        setLoadError(null);
        setStatus(data);
        // Follow a sync in progress until it succeeds or fails.
        if (IN_PROGRESS.has(data.sync.state)) timer.current = window.setTimeout(load, POLL_MS);
      },
      () => setLoadError(errorMessage(null)),
    );
  }, [business.id]);

  useEffect(() => {
    load();
    return () => window.clearTimeout(timer.current);
  }, [load]);

  // The countdown after a 429.
  useEffect(() => {
    if (retryAt === null) return;
    const tick = window.setInterval(() => {
      setNow(Date.now());
      if (Date.now() >= retryAt) {
        setRetryAt(null);
        setNotice(null);
      }
    }, 1000);
    return () => window.clearInterval(tick);
  }, [retryAt]);

  const syncNow = async () => {
    setNotice(null);
    const { data, error, response } = await api.POST("/api/v1/integrations/stripe/sync", query);
    if (data) {
      setStatus(data);
      setNotice({ ok: true, text: "Sync requested." });
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(load, POLL_MS);
    } else if (response.status === 429) {
      const seconds = Number(response.headers.get("Retry-After")) || 60;
      setNow(Date.now());
      setRetryAt(Date.now() + seconds * 1000);
      setNotice({ ok: false, text: errorMessage(error) });
    } else {
      setNotice({ ok: false, text: errorMessage(error) });
    }
  };

  const disconnect = async () => {
    setBusy(true);
    setDialogError(null);
    const { data, error } = await api.DELETE("/api/v1/integrations/stripe", query);
    setBusy(false);
    if (data) {
      setStatus(data);
      setConfirming(false);
      setNotice({ ok: true, text: "Stripe is disconnected. Data already synced is kept." });
    } else {
      setDialogError(errorMessage(error));
    }
  };

  const connect = async () => {
    const { data, error } = await api.GET("/api/v1/integrations/stripe/connect", query);
    if (data) location.assign(data.url);
    else setNotice({ ok: false, text: errorMessage(error) });
  };

  const wait = retryAt === null ? 0 : Math.max(0, Math.ceil((retryAt - now) / 1000));
  const sync = status?.sync;
  const running = sync !== undefined && IN_PROGRESS.has(sync.state);

  return (
    <section className="card settings-card" aria-labelledby="stripe-heading">
      <div className="settings-card-head">
        <h2 id="stripe-heading">Stripe connection</h2>
        {status && (
          <span className={`badge ${status.connected ? "badge-good" : "badge-muted"}`}>
            {status.connected ? "Connected" : "Not connected"}
          </span>
        )}
      </div>
      {loadError ? (
        <div className="state error" role="alert">
          <p>{loadError}</p>
          <button type="button" className="button secondary" onClick={load}>
            Try again
          </button>
        </div>
      ) : !status || !sync ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : !status.connected ? (
        <div>
          <p>Stripe is not connected. Connect it to compute your metrics and readiness score.</p>
          {canManage && (
            <button type="button" className="button" onClick={() => void connect()}>
              Connect Stripe
            </button>
          )}
        </div>
      ) : (
        <>
          <dl className="facts">
            <div>
              <dt>Account</dt>
              <dd>
                <code>{status.account_id}</code> {status.livemode === false && <span className="badge">Test mode</span>}
              </dd>
            </div>
            <div>
              <dt>Connected</dt>
              <dd>{formatDateTime(status.connected_at)}</dd>
            </div>
            <div>
              <dt>Last sync</dt>
              <dd>{status.last_synced_at ? formatDateTime(status.last_synced_at) : "Not synced yet"}</dd>
            </div>
          </dl>
          <p className={`sync-state sync-${sync.state}`} role="status">
            {running ? (
              <>
                <span className="spinner" aria-hidden="true" /> Sync running…
              </>
            ) : sync.state === "succeeded" ? (
              `Sync finished ${formatDateTime(sync.finished_at)}: ${sync.objects_synced.toLocaleString("en-US")} objects.`
            ) : sync.state === "failed" ? (
              `The last sync failed${sync.error ? `: ${sync.error}` : ""}.`
            ) : sync.state === "interrupted" ? (
              "The last sync was interrupted; it resumes on the next sync."
            ) : (
              "No sync has run yet."
            )}
          </p>
          {canManage ? (
            <div className="settings-actions">
              <button type="button" className="button" onClick={() => void syncNow()} disabled={running || wait > 0}>
                Sync now
              </button>
              <button type="button" className="button secondary danger-text" onClick={() => setConfirming(true)}>
                Disconnect
              </button>
            </div>
          ) : (
            <p className="muted">Only an owner or an admin can sync or disconnect Stripe.</p>
          )}
        </>
      )}
      {notice && (
        <p className={notice.ok ? "saved" : "field-error"} role={notice.ok ? "status" : "alert"}>
          {notice.text}
          {wait > 0 && ` (${wait} s left)`}
        </p>
      )}
      <ConfirmDialog
        open={confirming}
        title="Disconnect Stripe?"
        action="Disconnect"
        busy={busy}
        error={dialogError}
        onConfirm={() => void disconnect()}
        onCancel={() => {
          setConfirming(false);
          setDialogError(null);
        }}
      >
        <p>
          Vaultra stops syncing {business.name}'s Stripe account and revokes its access at Stripe.
          Data already synced is kept; your score stops updating until you connect again.
        </p>
      </ConfirmDialog>
    </section>
  );
}
