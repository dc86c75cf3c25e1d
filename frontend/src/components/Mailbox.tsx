import { useCallback, useEffect, useState } from "react";

import "../styles/mailbox.css";
import { api, errorMessage, type Schemas } from "../lib/api";
import { formatDateTime } from "../lib/format";
import { splitLinks } from "../lib/mailbox";
import IslandBoundary from "./IslandBoundary";

type Email = Schemas["OutboxEmailRead"];
type Box = Schemas["Mailbox"];

/** Plain text with its URLs as links (the text part of an email, as a mail client shows it). */
function Linkified({ text }: { text: string }) {
  return (
    <pre className="mail-text">
      {splitLinks(text).map((part, index) =>
        part.kind === "link" ? (
          <a key={index} href={part.href}>
            {part.href}
          </a>
        ) : (
          part.text
        ),
      )}
    </pre>
  );
}

/**
 * Development only: the outbox, newest first, so invitations and alerts can be read without a
 * mail server. The API answers 404 in production, and so does this page then.
 */
export default function Mailbox() {
  return (
    <IslandBoundary name="The mailbox">
      <MailboxList />
    </IslandBoundary>
  );
}

function MailboxList() {
  const [box, setBox] = useState<Box | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [unavailable, setUnavailable] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const [to, setTo] = useState("");

  const load = useCallback((recipient: string) => {
    setError(null);
    const query = recipient.includes("@") ? { to: recipient.trim() } : {};
    api.GET("/api/v1/dev/mailbox", { params: { query } }).then(
      ({ data, error: failure, response }) => {
        if (data) {
          setBox(data);
          setOpen((current) => current ?? data.emails[0]?.id ?? null);
        } else if (response.status === 404) setUnavailable(true);
        else setError(errorMessage(failure));
      },
      () => setError(errorMessage(null)),
    );
  }, []);
  // `?to=` narrows the list (read here: the page is pre-rendered without a URL).
  useEffect(() => {
    const wanted = new URLSearchParams(location.search).get("to") ?? "";
    setTo(wanted);
    load(wanted);
  }, [load]);

  if (unavailable) {
    return <p className="state">The development mailbox is not available on this server.</p>;
  }
  if (error) {
    return (
      <div className="state error" role="alert">
        <p>{error}</p>
        <button type="button" className="button secondary" onClick={() => load(to)}>
          Try again
        </button>
      </div>
    );
  }
  if (box === null) {
    return (
      <p className="state" role="status">
        Loading…
      </p>
    );
  }
  return (
    <div className="mailbox">
      <p className="muted">
        {box.smtp_configured
          ? "SMTP is configured: these emails are also sent."
          : "No SMTP server is configured: emails stay here and are never sent."}
      </p>
      <form
        className="mailbox-filter"
        onSubmit={(event) => {
          event.preventDefault();
          load(to);
        }}
      >
        <label htmlFor="mailbox-to">Recipient</label>
        <input id="mailbox-to" type="email" value={to} placeholder="anyone" onChange={(e) => setTo(e.target.value)} />
        <button type="submit" className="button secondary">
          Refresh
        </button>
      </form>
      {box.emails.length === 0 ? (
        <p className="state">No email yet. Invite someone, or wait for an alert or a digest.</p>
      ) : (
        <ul className="mail-list">
          {box.emails.map((email) => (
            <MailItem key={email.id} email={email} open={open === email.id} onToggle={() => setOpen(open === email.id ? null : email.id)} />
          ))}
        </ul>
      )}
    </div>
  );
}

function MailItem({ email, open, onToggle }: { email: Email; open: boolean; onToggle: () => void }) {
  return (
    <li className="card mail-item">
      <button type="button" className="mail-summary" aria-expanded={open} onClick={onToggle}>
        <span className="mail-subject">{email.subject}</span>
        <span className="muted small">
          To {email.to} · {formatDateTime(email.created_at)} · <span className={`mail-status mail-${email.status}`}>{email.status}</span>
        </span>
      </button>
      {open && (
        <div className="mail-body">
          <dl className="mail-headers small">
            <div>
              <dt>Message-ID</dt>
              <dd className="mono">{email.message_id}</dd>
            </div>
            <div>
              <dt>Kind</dt>
              <dd>{email.kind}</dd>
            </div>
            {Object.entries(email.headers).map(([name, value]) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd className="mono">{String(value)}</dd>
              </div>
            ))}
            {email.last_error && (
              <div>
                <dt>Last error</dt>
                <dd>{email.last_error}</dd>
              </div>
            )}
          </dl>
          <Linkified text={email.text} />
        </div>
      )}
    </li>
  );
}
