/**
 * "Share with a lender": create a read-only, expiring link to a signed report of the readiness
 * file (chosen sections, frozen when created), copy it once, see its views, revoke it.
 * The API: POST/GET /reports/shares, DELETE /reports/shares/{id}.
 */
import { useCallback, useEffect, useState, type SubmitEvent } from "react";

import { api, errorMessage } from "../lib/api";
import { formatDateTime } from "../lib/format";
import {
  DEFAULT_EXPIRY,
  EXPIRY_CHOICES,
  SECTIONS,
  orderedSections,
  statusText,
  viewsText,
  type Section,
  type Share,
} from "../lib/lenderShare";
import ConfirmDialog from "./ConfirmDialog";
import CopyButton from "./CopyButton";
import IslandBoundary from "./IslandBoundary";

interface Props {
  businessId: string;
  /** Owners and admins create and revoke links; members see them. */
  canManage: boolean;
}

export default function LenderShare({ businessId, canManage }: Props) {
  return (
    <IslandBoundary name="Sharing with a lender">
      <ShareBody businessId={businessId} canManage={canManage} />
    </IslandBoundary>
  );
}

function ShareBody({ businessId, canManage }: Props) {
  const [shares, setShares] = useState<Share[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [label, setLabel] = useState("");
  const [expiry, setExpiry] = useState<number>(DEFAULT_EXPIRY);
  const [chosen, setChosen] = useState<Set<Section>>(() => new Set(SECTIONS.map((s) => s.value)));
  const [live, setLive] = useState(false);
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ label: string; url: string; code: string } | null>(null);
  const [revoking, setRevoking] = useState<Share | null>(null);
  const [busy, setBusy] = useState(false);
  const [revokeError, setRevokeError] = useState<string | null>(null);
  const [notice, setNotice] = useState("");

  const load = useCallback(() => {
    setLoadError(null);
    api.GET("/api/v1/reports/shares", { params: { query: { business_id: businessId } } }).then(
      ({ data, error }) => (data ? setShares(data.shares) : setLoadError(errorMessage(error))),
      () => setLoadError(errorMessage(null)),
    );
  }, [businessId]);
  useEffect(load, [load]);

  const toggle = (value: Section) =>
    setChosen((current) => {
      const next = new Set(current);
      if (next.has(value)) next.delete(value);
      else next.add(value);
      return next;
    });

  const create = async (event: SubmitEvent) => {
    event.preventDefault();
    if (!label.trim()) {
      setCreateError("Say who the link is for, such as the lender's name.");
      return;
    }
    const sections = orderedSections(chosen);
    if (sections.length === 0) {
      setCreateError("Choose at least one section to share.");
      return;
    }
    setCreating(true);
    setCreateError(null);
    const { data, error } = await api.POST("/api/v1/reports/shares", {
      body: { business_id: businessId, label: label.trim(), expires_in_days: expiry, sections, live },
    });
    setCreating(false);
    if (!data) {
      setCreateError(errorMessage(error));
      return;
    }
    setCreated({ label: data.label, url: data.url, code: data.code });
    setLabel("");
    load();
  };

  const revoke = async () => {
    if (!revoking) return;
    setBusy(true);
    setRevokeError(null);
    const { error, response } = await api.DELETE("/api/v1/reports/shares/{share_id}", {
      params: { path: { share_id: revoking.id } },
    });
    setBusy(false);
    if (response.ok) {
      setNotice(`The link for “${revoking.label}” is revoked; it now says so to anyone who opens it.`);
      if (created && created.code === revoking.code) setCreated(null);
      setRevoking(null);
      load();
    } else {
      setRevokeError(errorMessage(error));
    }
  };

  return (
    <section className="card lender-share" aria-labelledby="lender-share-heading">
      <h2 id="lender-share-heading">Share with a lender</h2>
      <p className="muted">
        A read-only report of your readiness, computed from your Stripe data, with no customer names,
        emails or card details. It is signed, so a lender can check it at /verify, and it expires. The
        figures are frozen when you create the link.
      </p>
      {!canManage && <p className="muted">Only an owner or admin of this business can create or revoke links.</p>}
      {canManage && (
        <form className="share-form" onSubmit={create} noValidate>
          <div className="field">
            <label htmlFor="share-label">Who is it for?</label>
            <input
              id="share-label"
              value={label}
              maxLength={100}
              placeholder="e.g. Northwind Capital"
              onChange={(e) => setLabel(e.target.value)}
              aria-invalid={createError ? true : undefined}
              aria-describedby={createError ? "share-error" : undefined}
            />
          </div>
          <fieldset className="share-sections">
            <legend>Sections to share</legend>
            {SECTIONS.map((section) => (
              <div className="check" key={section.value}>
                <input
                  type="checkbox"
                  id={`share-section-${section.value}`}
                  checked={chosen.has(section.value)}
                  onChange={() => toggle(section.value)}
                />
                <label htmlFor={`share-section-${section.value}`}>
                  {section.label} <span className="muted">({section.hint})</span>
                </label>
              </div>
            ))}
            <p className="muted small-print">Recommendations are never shared.</p>
          </fieldset>
          <div className="share-row">
            <div className="field">
              <label htmlFor="share-expiry">Link expires after</label>
              <select id="share-expiry" value={expiry} onChange={(e) => setExpiry(Number(e.target.value))}>
                {EXPIRY_CHOICES.map((days) => (
                  <option key={days} value={days}>
                    {days === 1 ? "1 day" : `${days} days`}
                  </option>
                ))}
              </select>
            </div>
            <div className="check">
              <input type="checkbox" id="share-live" checked={live} onChange={(e) => setLive(e.target.checked)} />
              <label htmlFor="share-live">Live view: show the latest figures instead of the frozen ones</label>
            </div>
          </div>
          {createError && (
            <p id="share-error" className="field-error" role="alert">
              {createError}
            </p>
          )}
          <button type="submit" className="button" disabled={creating}>
            {creating ? "Creating…" : "Create link"}
          </button>
        </form>
      )}

      {created && (
        <div className="share-created" role="region" aria-label="Your new link">
          <h3>The link for “{created.label}” is ready</h3>
          <p>Copy it now: it is shown only once. Verification code {created.code}.</p>
          <label htmlFor="share-url">Link</label>
          <div className="copy-row">
            <input id="share-url" className="mono" readOnly value={created.url} onFocus={(e) => e.target.select()} />
            <CopyButton text={created.url} label="Copy link" />
          </div>
        </div>
      )}

      <h3>Your links</h3>
      {loadError ? (
        <div className="state error" role="alert">
          <p>{loadError}</p>
          <button type="button" className="button secondary" onClick={load}>
            Try again
          </button>
        </div>
      ) : shares === null ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : shares.length === 0 ? (
        <p className="muted">No links yet.</p>
      ) : (
        <ul className="share-list">
          {shares.map((share) => (
            <li key={share.id} className={`share-item is-${share.status}`}>
              <div className="share-main">
                <span className="share-name">{share.label}</span>
                <span className={`status-pill share-status is-${share.status}`}>{statusText(share)}</span>
              </div>
              <dl className="share-facts">
                <div>
                  <dt>Views</dt>
                  <dd>{viewsText(share.view_count)}</dd>
                </div>
                <div>
                  <dt>Last viewed</dt>
                  <dd>{share.last_viewed_at ? formatDateTime(share.last_viewed_at) : "Never"}</dd>
                </div>
                <div>
                  <dt>{share.status === "active" ? "Expires" : share.status === "revoked" ? "Revoked" : "Expired"}</dt>
                  <dd>{formatDateTime(share.status === "revoked" ? share.revoked_at : share.expires_at)}</dd>
                </div>
                <div>
                  <dt>Code</dt>
                  <dd className="mono">{share.code}</dd>
                </div>
              </dl>
              {canManage && share.status === "active" && (
                <button
                  type="button"
                  className="button secondary danger-text small"
                  onClick={() => setRevoking(share)}
                  aria-describedby={`share-${share.id}`}
                >
                  Revoke link
                </button>
              )}
              <span id={`share-${share.id}`} className="visually-hidden">
                {share.label}
              </span>
            </li>
          ))}
        </ul>
      )}
      <p className="saved" role="status">
        {notice}
      </p>
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke the link for “${revoking?.label ?? ""}”?`}
        action="Revoke link"
        busy={busy}
        error={revokeError}
        onConfirm={() => void revoke()}
        onCancel={() => {
          setRevoking(null);
          setRevokeError(null);
        }}
      >
        <p>Anyone opening it will see that it was revoked, and its verification code will say so.</p>
      </ConfirmDialog>
    </section>
  );
}
