import { useEffect, useState } from "react";

import "../styles/settings.css";
import { API_BASE_URL } from "../lib/api";
import CopyButton from "./CopyButton";
import IslandBoundary from "./IslandBoundary";
import { TOKEN_CREATED_EVENT } from "./TokenSettings";

const PLACEHOLDER = "vtr_pat_…";

/**
 * Ready-to-paste MCP client configurations (README "The agent and MCP"): the stdio server
 * (`vaultra mcp` with VAULTRA_TOKEN) and the remote one at <origin>/mcp with a bearer token.
 * A token created on this page is filled in.
 */
export default function McpSetup() {
  return (
    <IslandBoundary name="The MCP set-up">
      <Mcp />
    </IslandBoundary>
  );
}

function Mcp() {
  const [token, setToken] = useState<string | null>(null);
  // The page is pre-rendered: the origin is known only in the browser.
  const [origin, setOrigin] = useState(API_BASE_URL);
  useEffect(() => {
    if (!API_BASE_URL) setOrigin(location.origin);
  }, []);
  useEffect(() => {
    const onCreated = (event: Event) => setToken((event as CustomEvent<{ token: string }>).detail.token);
    window.addEventListener(TOKEN_CREATED_EVENT, onCreated);
    return () => window.removeEventListener(TOKEN_CREATED_EVENT, onCreated);
  }, []);

  const secret = token ?? PLACEHOLDER;
  const remote = JSON.stringify(
    { mcpServers: { vaultra: { type: "http", url: `${origin}/mcp`, headers: { Authorization: `Bearer ${secret}` } } } },
    null,
    2,
  );
  const stdio = JSON.stringify(
    {
      mcpServers: {
        vaultra: {
          command: "vaultra",
          args: ["mcp"],
          env: { VAULTRA_TOKEN: secret, DATABASE_URL: "<the server's DATABASE_URL>" },
        },
      },
    },
    null,
    2,
  );

  return (
    <section className="card settings-card" aria-labelledby="mcp-heading">
      <h2 id="mcp-heading">MCP set-up</h2>
      <p className="muted">
        Connect an AI assistant (Claude Desktop, Cursor…) to Vaultra's tools: your readiness
        breakdown, metrics, recommendations and the knowledge base.{" "}
        {token ? "Your new token is filled in below." : "Create a token above and it is filled in below."}
      </p>
      <h3>Remote server</h3>
      <p className="muted small">
        Any MCP client that speaks streamable HTTP, at <code>{origin}/mcp</code>.
      </p>
      <pre className="config" tabIndex={0} aria-label="Remote MCP client configuration">
        {remote}
      </pre>
      <div className="copy-row end">
        <CopyButton text={remote} label="Copy remote configuration" />
      </div>
      <h3>Local server (stdio)</h3>
      <p className="muted small">
        On a machine with Vaultra installed: the client starts <code>vaultra mcp</code> itself.
      </p>
      <pre className="config" tabIndex={0} aria-label="Local MCP client configuration">
        {stdio}
      </pre>
      <div className="copy-row end">
        <CopyButton text={stdio} label="Copy local configuration" />
      </div>
    </section>
  );
}
