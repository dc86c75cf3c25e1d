import { useCallback, useEffect, useState, type SubmitEvent } from "react";

import "../styles/settings.css";
import { api, errorMessage, type Schemas } from "../lib/api";
import type { BusinessSummary } from "../lib/session";
import BusinessGate from "./BusinessGate";
import IslandBoundary from "./IslandBoundary";

type Preferences = Schemas["NotificationPreferencesRead"];
type Digest = Preferences["digest"];
type AlertKey = "alert_tier" | "alert_dispute" | "alert_sync" | "alert_stripe_revoked";

const DIGESTS: { value: Digest; label: string }[] = [
  { value: "weekly", label: "Weekly" },
  { value: "daily", label: "Daily" },
  { value: "off", label: "Off" },
];
const ALERTS: { key: AlertKey; label: string; hint: string }[] = [
  { key: "alert_tier", label: "Tier changes", hint: "When the readiness tier goes up or down." },
  {
    key: "alert_dispute",
    label: "Dispute ratio",
    hint: "When last month's dispute ratio crosses 0.65%, 0.9% or 1.5%.",
  },
  { key: "alert_sync", label: "Sync failing", hint: "When the Stripe sync has failed for 24 hours." },
  {
    key: "alert_stripe_revoked",
    label: "Stripe access revoked",
    hint: "When Vaultra's access is revoked from Stripe's side.",
  },
];

/** The signed-in user's email preferences for the current business: digest and alerts. */
export default function NotificationSettings() {
  return (
    <IslandBoundary name="The email notifications">
      <BusinessGate>{(business) => <NotificationForm key={business.id} business={business} />}</BusinessGate>
    </IslandBoundary>
  );
}

function NotificationForm({ business }: { business: BusinessSummary }) {
  const [saved, setSaved] = useState<Preferences | null>(null);
  const [draft, setDraft] = useState<Preferences | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState("");

  const load = useCallback(() => {
    setLoadError(null);
    api.GET("/api/v1/notifications/preferences", { params: { query: { business_id: business.id } } }).then(
      ({ data, error }) => {
        if (!data) {
          setLoadError(errorMessage(error));
          return;
        }
        setSaved(data);
        setDraft(data);
      },
      () => setLoadError(errorMessage(null)),
    );
  }, [business.id]);
  useEffect(load, [load]);

  const save = async (event: SubmitEvent) => {
    event.preventDefault();
    if (!draft) return;
    setSaving(true);
    setSaveError(null);
    setNotice("");
    try {
      const { data, error } = await api.PATCH("/api/v1/notifications/preferences", {
        body: {
          business_id: business.id,
          digest: draft.digest,
          alert_tier: draft.alert_tier,
          alert_dispute: draft.alert_dispute,
          alert_sync: draft.alert_sync,
          alert_stripe_revoked: draft.alert_stripe_revoked,
        },
      });
      if (data) {
        setSaved(data);
        setDraft(data);
        setNotice("Saved.");
      } else {
        setSaveError(errorMessage(error));
      }
    } catch {
      setSaveError(errorMessage(null));
    }
    setSaving(false);
  };

  const changed = draft !== null && saved !== null && JSON.stringify(draft) !== JSON.stringify(saved);

  return (
    <section className="card settings-card" aria-labelledby="notifications-heading">
      <h2 id="notifications-heading">Email notifications</h2>
      <p className="muted">
        What Vaultra emails you about {business.name}. Each email also has a one-click unsubscribe link.
      </p>
      {loadError ? (
        <div className="state error" role="alert">
          <p>{loadError}</p>
          <button type="button" className="button secondary" onClick={load}>
            Try again
          </button>
        </div>
      ) : draft === null ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : (
        <form className="notification-form" onSubmit={save} noValidate>
          <fieldset>
            <legend>Readiness digest</legend>
            <p className="muted small">Score, tier, recommendations and funding options since the last one.</p>
            <div className="choice-row">
              {DIGESTS.map((option) => (
                <label key={option.value} className="choice">
                  <input
                    type="radio"
                    name="digest"
                    value={option.value}
                    checked={draft.digest === option.value}
                    onChange={() => setDraft({ ...draft, digest: option.value })}
                  />
                  {option.label}
                </label>
              ))}
            </div>
          </fieldset>
          <fieldset>
            <legend>Alerts</legend>
            {ALERTS.map((alert) => (
              <label key={alert.key} className="choice choice-block">
                <input
                  type="checkbox"
                  name={alert.key}
                  checked={draft[alert.key]}
                  onChange={(e) => setDraft({ ...draft, [alert.key]: e.target.checked })}
                  aria-describedby={`${alert.key}-hint`}
                />
                <span>
                  {alert.label}
                  <span id={`${alert.key}-hint`} className="muted small choice-hint">
                    {alert.hint}
                  </span>
                </span>
              </label>
            ))}
          </fieldset>
          <div className="settings-actions">
            <button type="submit" className="button" disabled={saving || !changed}>
              {saving ? "Saving…" : "Save preferences"}
            </button>
            <p className="saved" role="status">
              {notice}
            </p>
          </div>
          {saveError && (
            <p className="field-error" role="alert">
              {saveError}
            </p>
          )}
        </form>
      )}
    </section>
  );
}
