import { useCallback, useEffect, useState, type SubmitEvent } from "react";

import "../styles/settings.css";
import { api, errorMessage, type Schemas } from "../lib/api";
import { formatDateTime } from "../lib/format";
import ConfirmDialog from "./ConfirmDialog";
import CopyButton from "./CopyButton";
import IslandBoundary from "./IslandBoundary";

type Token = Schemas["TokenRead"];
/** Fired on window with the new secret, so the MCP set-up can fill it in (McpSetup.tsx). */
export const TOKEN_CREATED_EVENT = "vaultra:token-created";

/** Personal access tokens for MCP clients and scripts: create (shown once), list, revoke. */
export default function TokenSettings() {
  return (
    <IslandBoundary name="The access tokens">
      <Tokens />
    </IslandBoundary>
  );
}

function Tokens() {
  const [tokens, setTokens] = useState<Token[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const [busy, setBusy] = useState(false);
  const [revokeError, setRevokeError] = useState<string | null>(null);
  const [notice, setNotice] = useState("");

  const load = useCallback(() => {
    setLoadError(null);
    api.GET("/api/v1/auth/tokens").then(
      ({ data, error }) => (data ? setTokens(data.tokens) : setLoadError(errorMessage(error))),
      () => setLoadError(errorMessage(null)),
    );
  }, []);
  useEffect(load, [load]);

  const create = async (event: SubmitEvent) => {
    event.preventDefault();
    if (!name.trim()) {
      setCreateError("Give the token a name, such as the app that will use it.");
      return;
    }
    setCreating(true);
    setCreateError(null);
    const { data, error } = await api.POST("/api/v1/auth/tokens", { body: { name: name.trim() } });
    setCreating(false);
    if (!data) {
      setCreateError(errorMessage(error));
      return;
    }
    setCreated({ name: data.name, secret: data.token });
    setName("");
    window.dispatchEvent(new CustomEvent(TOKEN_CREATED_EVENT, { detail: { token: data.token } }));
    load();
  };

  const revoke = async () => {
    if (!revoking) return;
    setBusy(true);
    setRevokeError(null);
    const { error, response } = await api.DELETE("/api/v1/auth/tokens/{token_id}", {
      params: { path: { token_id: revoking.id } },
    });
    setBusy(false);
    if (response.ok || response.status === 404) {
      setNotice(`“${revoking.name}” is revoked; it no longer works.`);
      setRevoking(null);
      load();
    } else {
      setRevokeError(errorMessage(error));
    }
  };

  return (
    <section className="card settings-card" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">Personal access tokens</h2>
      <p className="muted">
        Tokens let MCP clients and scripts use the API as you. Each token is shown once: keep it
        somewhere safe, and revoke it when you no longer need it.
      </p>
      <form className="token-form" onSubmit={create} noValidate>
        <div className="field">
          <label htmlFor="token-name">Token name</label>
          <input
            id="token-name"
            value={name}
            maxLength={100}
            placeholder="e.g. Claude Desktop"
            onChange={(e) => setName(e.target.value)}
            aria-invalid={createError ? true : undefined}
            aria-describedby={createError ? "token-name-error" : undefined}
          />
          {createError && (
            <p id="token-name-error" className="field-error" role="alert">
              {createError}
            </p>
          )}
        </div>
        <button type="submit" className="button" disabled={creating}>
          Create token
        </button>
      </form>

      {created && (
        <div className="token-created" role="region" aria-labelledby="token-created-heading">
          <h3 id="token-created-heading">“{created.name}” is ready</h3>
          <p>Copy it now: it will not be shown again.</p>
          <label htmlFor="token-secret">Your new token</label>
          <div className="copy-row">
            <input id="token-secret" className="mono" readOnly value={created.secret} onFocus={(e) => e.target.select()} />
            <CopyButton text={created.secret} label="Copy token" />
          </div>
        </div>
      )}

      <h3 className="tokens-subheading">Your tokens</h3>
      {loadError ? (
        <div className="state error" role="alert">
          <p>{loadError}</p>
          <button type="button" className="button secondary" onClick={load}>
            Try again
          </button>
        </div>
      ) : tokens === null ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : tokens.length === 0 ? (
        <p className="muted">You have no tokens yet.</p>
      ) : (
        <ul className="token-list">
          {tokens.map((token) => (
            <li key={token.id}>
              <div className="token-main">
                <span className="token-name">{token.name}</span>
                <code className="muted">{token.token_prefix}…</code>
              </div>
              <dl className="token-facts">
                <div>
                  <dt>Created</dt>
                  <dd>{formatDateTime(token.created_at)}</dd>
                </div>
                <div>
                  <dt>Last used</dt>
                  <dd>{token.last_used_at ? formatDateTime(token.last_used_at) : "Never"}</dd>
                </div>
                <div>
                  <dt>Expires</dt>
                  <dd>{token.expires_at ? formatDateTime(token.expires_at) : "Never"}</dd>
                </div>
              </dl>
              <button
                type="button"
                className="button secondary danger-text small"
                onClick={() => setRevoking(token)}
                aria-describedby={`token-${token.id}`}
              >
                Revoke
              </button>
              <span id={`token-${token.id}`} className="visually-hidden">
                {token.name}
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
        title={`Revoke “${revoking?.name ?? ""}”?`}
        action="Revoke"
        busy={busy}
        error={revokeError}
        onConfirm={() => void revoke()}
        onCancel={() => {
          setRevoking(null);
          setRevokeError(null);
        }}
      >
        <p>Anything using this token stops working at once. This cannot be undone.</p>
      </ConfirmDialog>
    </section>
  );
}
