import { useEffect, useState } from "react";

import { api, errorMessage, type Schemas } from "../lib/api";
import IslandBoundary from "./IslandBoundary";

type Target = Schemas["UnsubscribeRead"];
type State =
  | { kind: "loading" }
  | { kind: "invalid"; message: string }
  | { kind: "error"; message: string }
  | { kind: "ready"; target: Target; busy: boolean; failed: string | null }
  | { kind: "done"; target: Target };

const INVALID = "This unsubscribe link is not valid. It may have been cut short when it was copied.";

/**
 * /unsubscribe?token=…: says what the link turns off, and turns it off with one click (no login:
 * the token is signed). Nothing happens on load, so a link scanner can't unsubscribe anyone.
 */
export default function Unsubscribe() {
  return (
    <IslandBoundary name="The unsubscribe form">
      <UnsubscribeForm />
    </IslandBoundary>
  );
}

function UnsubscribeForm() {
  const [token, setToken] = useState<string | null>(null);
  const [state, setState] = useState<State>({ kind: "loading" });

  // Read here, not while rendering: the page is pre-rendered without a URL.
  useEffect(() => setToken(new URLSearchParams(location.search).get("token") ?? ""), []);

  const load = () => {
    if (token === null) return;
    if (!token) {
      setState({ kind: "invalid", message: INVALID });
      return;
    }
    setState({ kind: "loading" });
    api.GET("/api/v1/notifications/unsubscribe", { params: { query: { token } } }).then(
      ({ data, error, response }) => {
        if (data) setState(data.unsubscribed ? { kind: "done", target: data } : { kind: "ready", target: data, busy: false, failed: null });
        else if (response.status === 400 || response.status === 422) setState({ kind: "invalid", message: INVALID });
        else setState({ kind: "error", message: errorMessage(error) });
      },
      () => setState({ kind: "error", message: errorMessage(null) }),
    );
  };
  useEffect(load, [token]);

  const confirm = async (target: Target) => {
    setState({ kind: "ready", target, busy: true, failed: null });
    try {
      const { data, error } = await api.POST("/api/v1/notifications/unsubscribe", {
        params: { query: { token: token ?? "" } },
      });
      if (data) setState({ kind: "done", target: data });
      else setState({ kind: "ready", target, busy: false, failed: errorMessage(error) });
    } catch {
      setState({ kind: "ready", target, busy: false, failed: errorMessage(null) });
    }
  };

  if (state.kind === "loading") {
    return (
      <p className="state" role="status">
        Loading…
      </p>
    );
  }
  if (state.kind === "invalid" || state.kind === "error") {
    return (
      <div role="alert">
        <p>{state.message}</p>
        {state.kind === "error" ? (
          <button type="button" className="button secondary" onClick={load}>
            Try again
          </button>
        ) : (
          <p>
            You can change what Vaultra emails you in <a href="/settings#notifications-heading">Settings</a>.
          </p>
        )}
      </div>
    );
  }
  const { target } = state;
  const where = target.business_name ? ` for ${target.business_name}` : "";
  if (state.kind === "done") {
    return (
      <div role="status">
        <p>
          Done: you will no longer get {target.label}
          {where}.
        </p>
        <p>
          Changed your mind? Turn it back on in <a href="/settings#notifications-heading">Settings</a>.
        </p>
      </div>
    );
  }
  return (
    <div>
      <p>
        Stop getting {target.label}
        {where}? Other emails are not affected.
      </p>
      <button type="button" className="button button-large" disabled={state.busy} onClick={() => confirm(target)}>
        {state.busy ? "Unsubscribing…" : "Unsubscribe"}
      </button>
      {state.failed && (
        <p className="field-error" role="alert">
          {state.failed}
        </p>
      )}
    </div>
  );
}
