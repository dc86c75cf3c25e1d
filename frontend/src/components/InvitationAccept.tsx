import { useEffect, useState } from "react";

import "../styles/members.css";
import { api, errorMessage, type Schemas } from "../lib/api";
import { BUSINESS_KEY, isAuthenticated, logout } from "../lib/auth";
import { formatDateTime } from "../lib/format";
import { loadMe, type Me } from "../lib/session";
import IslandBoundary from "./IslandBoundary";

type Preview = Schemas["InvitationPreview"];

type State =
  | { kind: "loading" }
  | { kind: "invalid"; title: string; text: string }
  | { kind: "ready"; preview: Preview; me: Me | null }
  | { kind: "joined"; business: Schemas["BusinessSummary"] };

const ARTICLE: Record<string, string> = { owner: "an owner", admin: "an admin", member: "a member" };
const GONE_TITLES: Record<string, string> = {
  invitation_expired: "This invitation has expired",
  invitation_revoked: "This invitation was withdrawn",
  invitation_used: "This invitation was already used",
};

/** The invitation page's island: preview, sign-in hand-off (keeping the link), acceptance. */
export default function InvitationAccept() {
  return (
    <IslandBoundary name="The invitation">
      <Invitation />
    </IslandBoundary>
  );
}

function here(): string {
  return `${location.pathname}${location.search}`;
}

function Invitation() {
  const [state, setState] = useState<State>({ kind: "loading" });
  const [accepting, setAccepting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Read in the browser: the page is pre-rendered, with no URL at build time.
  const [token, setToken] = useState<string | null>(null);
  useEffect(() => setToken(new URLSearchParams(location.search).get("token") ?? ""), []);

  useEffect(() => {
    if (token === null) return;
    if (!token) {
      setState({
        kind: "invalid",
        title: "This link is incomplete",
        text: "Open the link from the invitation email again, or copy all of it into the address bar.",
      });
      return;
    }
    (async () => {
      const { data, error: apiError } = await api.GET("/api/v1/invitations/preview", {
        params: { query: { token } },
      });
      if (!data) {
        const code = apiError?.code ?? "";
        setState({
          kind: "invalid",
          title: GONE_TITLES[code] ?? "This invitation cannot be used",
          text: errorMessage(apiError),
        });
        return;
      }
      const me = isAuthenticated() ? await loadMe().catch(() => null) : null;
      setState({ kind: "ready", preview: data, me });
    })().catch(() => setState({ kind: "invalid", title: "Something went wrong", text: errorMessage(null) }));
  }, [token]);

  const accept = async () => {
    setAccepting(true);
    setError(null);
    if (!token) return;
    const { data, error: apiError } = await api.POST("/api/v1/invitations/accept", { body: { token } });
    setAccepting(false);
    if (!data) {
      setError(errorMessage(apiError));
      return;
    }
    localStorage.setItem(BUSINESS_KEY, data.id);
    setState({ kind: "joined", business: data });
  };

  if (state.kind === "loading") {
    return (
      <section className="card auth-card invitation-card">
        <p role="status">Loading the invitation…</p>
      </section>
    );
  }
  if (state.kind === "invalid") {
    return (
      <section className="card auth-card invitation-card" aria-labelledby="invitation-title">
        <h1 id="invitation-title">{state.title}</h1>
        <p role="alert">{state.text}</p>
        <p>Ask the person who invited you to send a new invitation.</p>
        <a className="button secondary" href="/dashboard">
          Go to the dashboard
        </a>
      </section>
    );
  }
  if (state.kind === "joined") {
    return (
      <section className="card auth-card invitation-card" aria-labelledby="invitation-title">
        <h1 id="invitation-title">You joined {state.business.name}</h1>
        <p role="status">You can now see its figures as {ARTICLE[state.business.role] ?? state.business.role}.</p>
        <a className="button" href={`/dashboard?business_id=${encodeURIComponent(state.business.id)}`}>
          Open the dashboard
        </a>
      </section>
    );
  }

  const { preview, me } = state;
  const next = encodeURIComponent(here());
  const matches = me !== null && me.email.toLowerCase() === preview.email.toLowerCase();
  return (
    <section className="card auth-card invitation-card" aria-labelledby="invitation-title">
      <h1 id="invitation-title">Join {preview.business_name}</h1>
      <p>
        {preview.invited_by ?? "Someone"} invited <strong>{preview.email}</strong> to join{" "}
        <strong>{preview.business_name}</strong> on Vaultra as {ARTICLE[preview.role] ?? preview.role}.
      </p>
      <p className="muted">The invitation expires on {formatDateTime(preview.expires_at)}.</p>
      {me === null ? (
        <>
          <p>Sign up or log in as {preview.email} to accept it.</p>
          <div className="invitation-actions">
            <a className="button" href={`/auth/signup?next=${next}`}>
              Sign up
            </a>
            <a className="button secondary" href={`/auth/login?next=${next}`}>
              Log in
            </a>
          </div>
        </>
      ) : matches ? (
        <div className="invitation-actions">
          <button type="button" className="button" onClick={() => void accept()} disabled={accepting}>
            {accepting ? "Joining…" : `Join ${preview.business_name}`}
          </button>
        </div>
      ) : (
        <>
          <p role="alert">
            You are signed in as {me.email}. This invitation is for {preview.email}: log in with that
            address to accept it.
          </p>
          <div className="invitation-actions">
            <button
              type="button"
              className="button"
              onClick={() => {
                logout();
                location.assign(`/auth/login?next=${next}`);
              }}
            >
              Log out and switch account
            </button>
          </div>
        </>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
