import { useEffect, useState, type SubmitEvent } from "react";

import "../styles/settings.css";
import "../styles/members.css";
import { api, errorMessage } from "../lib/api";
import { BUSINESS_KEY, logout } from "../lib/auth";
import { loadMe, type BusinessSummary, type Me } from "../lib/session";
import BusinessGate from "./BusinessGate";
import IslandBoundary from "./IslandBoundary";

/**
 * Deleting the current business (owners) and the account, each behind a typed confirmation:
 * the business's name, or the account's email. Both cannot be undone.
 */
export default function DangerZone() {
  return (
    <IslandBoundary name="Deleting data">
      <section className="card settings-card danger-card" aria-labelledby="danger-heading">
        <h2 id="danger-heading">Delete data</h2>
        <BusinessGate>{(business) => <DeleteBusiness key={business.id} business={business} />}</BusinessGate>
        {/* Outside the gate: a user with no business can still delete the account. */}
        <AccountLoader />
      </section>
    </IslandBoundary>
  );
}

function TypedConfirmation({
  id,
  label,
  expected,
  action,
  busyAction,
  onConfirm,
}: {
  id: string;
  label: string;
  expected: string;
  action: string;
  busyAction: string;
  onConfirm: () => Promise<string | null>;
}) {
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const matches = typed.trim() === expected;

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (!matches) {
      setError(`Type “${expected}” exactly to confirm.`);
      return;
    }
    setBusy(true);
    setError(null);
    const failure = await onConfirm();
    setBusy(false);
    if (failure) setError(failure);
  };

  return (
    <form className="danger-confirm" onSubmit={submit} noValidate>
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          autoComplete="off"
          spellCheck={false}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
        />
      </div>
      <button type="submit" className="button danger" disabled={busy || !matches}>
        {busy ? busyAction : action}
      </button>
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function DeleteBusiness({ business }: { business: BusinessSummary }) {
  const owner = business.role === "owner";

  const confirm = async (): Promise<string | null> => {
    const { error, response } = await api.DELETE("/api/v1/users/businesses/{business_id}", {
      params: { path: { business_id: business.id } },
      body: { confirm: business.name },
    });
    if (!response.ok) return errorMessage(error);
    localStorage.removeItem(BUSINESS_KEY);
    const me = await loadMe(true).catch(() => null);
    location.assign(me && me.businesses.length === 0 ? "/onboarding/business" : "/dashboard");
    return null;
  };

  return (
    <div className="danger-block">
      <h3>Delete {business.name}</h3>
      {owner ? (
        <>
          <p className="muted">
            Disconnects Stripe and deletes the business with all of its data for every member:
            synced payments, metrics, scores, recommendations, conversations and invitations. This
            cannot be undone.
          </p>
          <TypedConfirmation
            id="delete-business-confirm"
            label={`Type the business name, ${business.name}, to confirm`}
            expected={business.name}
            action="Delete business"
            busyAction="Deleting…"
            onConfirm={confirm}
          />
        </>
      ) : (
        <p className="muted">Only an owner can delete this business. You can leave it from Members.</p>
      )}
    </div>
  );
}

function AccountLoader() {
  const [me, setMe] = useState<Me | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    loadMe().then(setMe, () => setFailed(true));
  }, []);
  if (failed) {
    return (
      <p className="field-error" role="alert">
        Your account could not be loaded. Reload the page to try again.
      </p>
    );
  }
  return me ? <DeleteAccount me={me} /> : null;
}

function DeleteAccount({ me }: { me: Me }) {
  const confirm = async (): Promise<string | null> => {
    const { error, response } = await api.DELETE("/api/v1/users/me");
    if (!response.ok) return errorMessage(error);
    logout();
    location.assign("/");
    return null;
  };

  return (
    <div className="danger-block">
      <h3>Delete your account</h3>
      <p className="muted">
        Deletes your profile, access tokens and conversations, and every business that only you
        belong to. If you are the only owner of a business with other members, make one of them
        an owner first. This cannot be undone.
      </p>
      <TypedConfirmation
        id="delete-account-confirm"
        label={`Type your email, ${me.email}, to confirm`}
        expected={me.email}
        action="Delete account"
        busyAction="Deleting…"
        onConfirm={confirm}
      />
    </div>
  );
}
