import { useEffect, useState, type SubmitEvent } from "react";

import "../styles/settings.css";
import { api, errorMessage, type ApiError } from "../lib/api";
import { loadMe } from "../lib/session";
import IslandBoundary from "./IslandBoundary";

/** Name and avatar URL (PATCH /users/me); the e-mail is shown, not editable. */
export default function ProfileSettings() {
  return (
    <IslandBoundary name="Your profile">
      <Profile />
    </IslandBoundary>
  );
}

function Profile() {
  const [state, setState] = useState<"loading" | "ready" | "error">("loading");
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [avatar, setAvatar] = useState("");
  const [saving, setSaving] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string; errors?: ApiError["errors"] } | null>(null);

  const load = () => {
    setState("loading");
    loadMe().then(
      (me) => {
        setEmail(me.email);
        setName(me.name);
        setAvatar(me.avatar_url ?? "");
        setState("ready");
      },
      () => setState("error"),
    );
  };
  useEffect(load, []);

  const save = async (event: SubmitEvent) => {
    event.preventDefault();
    setSaving(true);
    setResult(null);
    const { data, error } = await api.PATCH("/api/v1/users/me", {
      body: { name, avatar_url: avatar.trim() || null },
    });
    setSaving(false);
    if (data) {
      setName(data.name);
      setAvatar(data.avatar_url ?? "");
      setResult({ ok: true, text: "Profile saved." });
    } else {
      setResult({ ok: false, text: errorMessage(error), errors: error?.errors });
    }
  };

  const fieldError = (field: string) =>
    result?.errors?.find((e) => e.field === field || e.field.endsWith(`.${field}`))?.message;

  return (
    <section className="card settings-card" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      {state === "loading" && (
        <p className="muted" role="status">
          Loading…
        </p>
      )}
      {state === "error" && (
        <div className="state error" role="alert">
          <p>Your profile could not be loaded.</p>
          <button type="button" className="button secondary" onClick={load}>
            Try again
          </button>
        </div>
      )}
      {state === "ready" && (
        <form onSubmit={save} noValidate>
          <p className="muted">Signed in as {email}.</p>
          <div className="field">
            <label htmlFor="profile-name">Name</label>
            <input
              id="profile-name"
              value={name}
              required
              maxLength={200}
              autoComplete="name"
              onChange={(e) => setName(e.target.value)}
              aria-invalid={fieldError("name") ? true : undefined}
              aria-describedby={fieldError("name") ? "profile-name-error" : undefined}
            />
            {fieldError("name") && (
              <p id="profile-name-error" className="field-error">
                {fieldError("name")}
              </p>
            )}
          </div>
          <div className="field">
            <label htmlFor="profile-avatar">Avatar URL</label>
            <input
              id="profile-avatar"
              type="url"
              value={avatar}
              inputMode="url"
              placeholder="https://…"
              onChange={(e) => setAvatar(e.target.value)}
              aria-invalid={fieldError("avatar_url") ? true : undefined}
              aria-describedby={fieldError("avatar_url") ? "profile-avatar-error" : undefined}
            />
            {fieldError("avatar_url") && (
              <p id="profile-avatar-error" className="field-error">
                {fieldError("avatar_url")}
              </p>
            )}
          </div>
          <div className="settings-actions">
            <button type="submit" className="button" disabled={saving}>
              Save profile
            </button>
            {result && (
              <p className={result.ok ? "saved" : "field-error"} role={result.ok ? "status" : "alert"}>
                {result.text}
              </p>
            )}
          </div>
        </form>
      )}
    </section>
  );
}
