import {
  useCallback,
  useEffect,
  useRef,
  useState,
  type SubmitEvent,
  type KeyboardEvent,
  type MouseEvent,
  type ReactNode,
} from "react";

import "../styles/agent.css";
import { api, apiUrl, errorMessage, type Schemas } from "../lib/api";
import { getAuthHeaders, logout, redirectToLogin } from "../lib/auth";
import { withBusinessParam } from "../lib/business";
import { formatDateTime } from "../lib/format";
import { readEvents } from "../lib/sse";
import BusinessGate from "./BusinessGate";
import IslandBoundary from "./IslandBoundary";
import Markdown from "./Markdown";

type ToolCall = Schemas["ToolCallRead"];
type Conversation = Schemas["ConversationSummary"];

interface ChatMessage {
  key: string;
  role: "user" | "assistant";
  content: string;
  tools: ToolCall[];
  /** streaming -> done, or stopped (Stop, or the stream broke off), or failed. */
  status: "streaming" | "done" | "stopped" | "failed";
  mode?: string | null;
  error?: string;
}

export const CONVERSATION_PARAM = "conversation";
const SUGGESTIONS = [
  "What's hurting my readiness?",
  "Am I eligible for revenue-based financing?",
  "How do I reduce chargebacks?",
];
const UNAVAILABLE = "The assistant is unavailable right now";
const TOOL_LABELS: Record<string, string> = {
  get_business_context: "Business profile",
  get_readiness_breakdown: "Readiness breakdown",
  get_metric_summary: "Metrics",
  get_top_recommendations: "Recommendations",
  search_knowledge: "Knowledge search",
};

let nextKey = 0;
const newKey = () => `m${++nextKey}`;

function conversationFromUrl(): string | null {
  return new URLSearchParams(location.search).get(CONVERSATION_PARAM);
}

/** The address bar names the open conversation (?conversation=), so a reload resumes it. */
function setConversationInUrl(id: string | null, push: boolean): void {
  const url = new URL(location.href);
  if (id) url.searchParams.set(CONVERSATION_PARAM, id);
  else url.searchParams.delete(CONVERSATION_PARAM);
  if (url.href === location.href) return;
  if (push) history.pushState(null, "", url);
  else history.replaceState(history.state, "", url);
}

function conversationHref(id: string | null): string {
  const url = new URL(location.href);
  if (id) url.searchParams.set(CONVERSATION_PARAM, id);
  else url.searchParams.delete(CONVERSATION_PARAM);
  return `${url.pathname}${url.search}`;
}

/**
 * The assistant: answers stream in from POST /agent/chat/stream (server-sent events:
 * message_start, tool_call, delta, citations, message_end, error); "Stop" aborts the request
 * and keeps what arrived. Past conversations are listed beside it and resume where they ended.
 */
export default function AgentChat() {
  return (
    <IslandBoundary name="The assistant">
      <BusinessGate>{(business) => <Chat key={business.id} businessId={business.id} />}</BusinessGate>
    </IslandBoundary>
  );
}

function Chat({ businessId }: { businessId: string }) {
  const [conversations, setConversations] = useState<Conversation[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [titles, setTitles] = useState<Record<string, string>>({});
  const [conversationId, setConversationId] = useState<string | null>(conversationFromUrl);
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [opening, setOpening] = useState<"idle" | "loading" | "missing" | "failed">("idle");
  const [draft, setDraft] = useState("");
  const [streaming, setStreaming] = useState(false);
  const [unavailable, setUnavailable] = useState<string | null>(null);
  const [offline, setOffline] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);

  const loadConversations = useCallback(() => {
    api
      .GET("/api/v1/agent/conversations", { params: { query: { business_id: businessId } } })
      .then(({ data, error }) => {
        if (data) {
          setConversations(data.conversations);
          setListError(null);
        } else setListError(errorMessage(error));
      }, () => setListError(errorMessage(null)));
  }, [businessId]);

  useEffect(loadConversations, [loadConversations]);

  useEffect(() => {
    api.GET("/api/v1/agent/knowledge").then(({ data }) => {
      if (data) setTitles(Object.fromEntries(data.documents.map((d) => [d.doc_id, d.title])));
    }, () => undefined);
  }, []);

  const open = useCallback((id: string | null) => {
    abort.current?.abort();
    setConversationId(id);
    setMessages([]);
    setUnavailable(null);
    if (!id) {
      setOpening("idle");
      return;
    }
    setOpening("loading");
    api
      .GET("/api/v1/agent/conversations/{conversation_id}", {
        params: { path: { conversation_id: id } },
      })
      .then(({ data, response }) => {
        if (!data) {
          setOpening(response.status === 404 || response.status === 400 ? "missing" : "failed");
          return;
        }
        setMessages(
          data.messages.map((m) => ({
            key: m.id,
            role: m.role,
            content: m.content,
            tools: m.tool_calls ?? [],
            status: "done",
            mode: m.mode,
          })),
        );
        if (data.messages.some((m) => m.mode === "offline")) setOffline(true);
        setOpening("idle");
      }, () => setOpening("failed"));
  }, []);

  // The conversation named in the address bar, at first and on Back/Forward.
  useEffect(() => {
    open(conversationFromUrl());
    const onPop = () => open(conversationFromUrl());
    window.addEventListener("popstate", onPop);
    return () => {
      window.removeEventListener("popstate", onPop);
      abort.current?.abort();
    };
  }, [open]);

  const update = (key: string, change: (message: ChatMessage) => ChatMessage) =>
    setMessages((all) => all.map((m) => (m.key === key ? change(m) : m)));

  const send = async (question: string) => {
    const text = question.trim();
    if (!text || streaming) return;
    const controller = new AbortController();
    abort.current = controller;
    const answerKey = newKey();
    setUnavailable(null);
    setDraft("");
    setMessages((all) => [
      ...all,
      { key: newKey(), role: "user", content: text, tools: [], status: "done" },
      { key: answerKey, role: "assistant", content: "", tools: [], status: "streaming" },
    ]);
    setStreaming(true);
    let finished = false;
    try {
      const response = await fetch(apiUrl("/api/v1/agent/chat/stream"), {
        method: "POST",
        headers: { ...getAuthHeaders(), "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify({ business_id: businessId, message: text, conversation_id: conversationId }),
        signal: controller.signal,
      });
      if (response.status === 401) {
        logout();
        redirectToLogin();
        return;
      }
      if (!response.ok || !response.body) {
        const body: unknown = await response.json().catch(() => null);
        if (response.status === 503) {
          setUnavailable(text);
          setMessages((all) => all.filter((m) => m.key !== answerKey));
        } else {
          update(answerKey, (m) => ({ ...m, status: "failed", error: errorMessage(body) }));
        }
        finished = true;
        return;
      }
      for await (const { event, data } of readEvents(response.body)) {
        const payload = JSON.parse(data) as Record<string, unknown>;
        if (event === "message_start") {
          const id = String(payload.conversation_id);
          if (id !== conversationId) {
            setConversationId(id);
            setConversationInUrl(id, false);
          }
          if (payload.mode === "offline") setOffline(true);
          update(answerKey, (m) => ({ ...m, mode: String(payload.mode) }));
        } else if (event === "tool_call") {
          update(answerKey, (m) => ({ ...m, tools: [...m.tools, payload as unknown as ToolCall] }));
        } else if (event === "delta") {
          update(answerKey, (m) => ({ ...m, content: m.content + String(payload.text) }));
        } else if (event === "message_end") {
          finished = true;
          update(answerKey, (m) => ({ ...m, content: String(payload.response), status: "done" }));
          loadConversations();
        } else if (event === "error") {
          finished = true;
          if (payload.code === "llm_unavailable") {
            setUnavailable(text);
            setMessages((all) => all.filter((m) => m.key !== answerKey));
          } else {
            update(answerKey, (m) => ({ ...m, status: "failed", error: errorMessage(payload) }));
          }
          loadConversations();
        }
      }
    } catch (error) {
      if (!(error instanceof DOMException && error.name === "AbortError")) {
        finished = true;
        update(answerKey, (m) => ({ ...m, status: "failed", error: "The connection was lost." }));
      }
    } finally {
      // Stopped, or the stream ended early: keep what arrived, marked as stopped.
      if (!finished) update(answerKey, (m) => (m.status === "streaming" ? { ...m, status: "stopped" } : m));
      if (abort.current === controller) abort.current = null;
      setStreaming(false);
    }
  };

  const stop = () => abort.current?.abort();

  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    void send(draft);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send(draft);
    }
  };

  const openFromList = (id: string | null) => (event: MouseEvent) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    setConversationInUrl(id, true);
    open(id);
    input.current?.focus();
  };

  const cite = (docId: string) => (
    <a className="citation" href={withBusinessParam(`/dashboard/knowledge/?doc=${encodeURIComponent(docId)}`)}>
      {titles[docId] ?? docId}
    </a>
  );

  const current = conversations?.find((c) => c.id === conversationId);

  return (
    <div className="agent">
      <aside className="agent-history card" aria-labelledby="conversations-heading">
        <div className="agent-history-head">
          <h2 id="conversations-heading">Conversations</h2>
          <a className="button secondary small" href={conversationHref(null)} onClick={openFromList(null)}>
            New
          </a>
        </div>
        {listError ? (
          <div className="state error small" role="alert">
            <p>{listError}</p>
            <button type="button" className="button secondary" onClick={loadConversations}>
              Try again
            </button>
          </div>
        ) : conversations === null ? (
          <p className="muted" role="status">
            Loading…
          </p>
        ) : conversations.length === 0 ? (
          <p className="muted">Your questions will be kept here.</p>
        ) : (
          <ul className="agent-conversations">
            {conversations.map((c) => (
              <li key={c.id}>
                <a
                  href={conversationHref(c.id)}
                  onClick={openFromList(c.id)}
                  aria-current={c.id === conversationId ? "page" : undefined}
                >
                  {c.title}
                </a>
                <span className="muted small">{formatDateTime(c.updated_at)}</span>
              </li>
            ))}
          </ul>
        )}
      </aside>

      <section className="agent-chat card" aria-labelledby="chat-heading">
        <h2 id="chat-heading">{current?.title ?? (conversationId ? "Conversation" : "New conversation")}</h2>
        {offline && (
          <p className="agent-offline" role="note">
            <strong>Offline mode.</strong> No language model is configured on this server, so
            answers are assembled directly from your Vaultra data and the knowledge base.
          </p>
        )}

        <div className="agent-log" aria-live="polite" aria-busy={streaming}>
          {opening === "loading" && (
            <p className="state" role="status">
              Loading the conversation…
            </p>
          )}
          {opening === "missing" && (
            <div className="state error" role="alert">
              <p>This conversation does not exist, or belongs to another business.</p>
              <a className="button secondary" href={conversationHref(null)} onClick={openFromList(null)}>
                Start a new conversation
              </a>
            </div>
          )}
          {opening === "failed" && (
            <div className="state error" role="alert">
              <p>The conversation could not be loaded.</p>
              <button type="button" className="button secondary" onClick={() => open(conversationId)}>
                Try again
              </button>
            </div>
          )}
          {opening === "idle" && messages.length === 0 && (
            <div className="agent-welcome">
              <p>
                Ask about your readiness score, your metrics or your funding options. Answers use
                your own Stripe data and cite the knowledge base.
              </p>
              <ul className="agent-suggestions" aria-label="Suggested questions">
                {SUGGESTIONS.map((question) => (
                  <li key={question}>
                    <button type="button" className="button secondary" onClick={() => void send(question)}>
                      {question}
                    </button>
                  </li>
                ))}
              </ul>
            </div>
          )}
          {messages.map((m) =>
            m.role === "user" ? (
              <div key={m.key} className="message user">
                <span className="visually-hidden">You asked: </span>
                {m.content}
              </div>
            ) : (
              <Answer key={m.key} message={m} cite={cite} />
            ),
          )}
          {unavailable && (
            <div className="state error" role="alert">
              <p>{UNAVAILABLE}. Please try again in a moment.</p>
              <button type="button" className="button secondary" onClick={() => void send(unavailable)}>
                Retry
              </button>
            </div>
          )}
        </div>

        <form className="agent-form" onSubmit={onSubmit}>
          <label htmlFor="agent-message">Message</label>
          <textarea
            id="agent-message"
            ref={input}
            rows={2}
            maxLength={4000}
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            onKeyDown={onKeyDown}
            placeholder="Ask about your readiness, metrics or funding…"
            aria-describedby="agent-message-hint"
          />
          <div className="agent-actions">
            <span id="agent-message-hint" className="muted small">
              Enter sends; Shift+Enter starts a new line.
            </span>
            <button type="button" className="button secondary" onClick={stop} disabled={!streaming}>
              Stop
            </button>
            <button type="submit" className="button" disabled={streaming || !draft.trim()}>
              Send
            </button>
          </div>
        </form>
      </section>
    </div>
  );
}

function Answer({ message, cite }: { message: ChatMessage; cite: (docId: string) => ReactNode }) {
  return (
    <article className="message assistant" aria-busy={message.status === "streaming"}>
      <header className="message-head">
        <span className="message-author">Vaultra assistant</span>
        {message.mode === "offline" && <span className="badge">Offline mode</span>}
        {message.status === "stopped" && <span className="badge stopped">Stopped</span>}
      </header>
      {message.tools.length > 0 && (
        <ul className="tool-calls" aria-label="Data used">
          {message.tools.map((tool) => (
            <li key={tool.id}>
              <details>
                <summary>
                  <span className={tool.ok ? "tool-ok" : "tool-failed"} aria-hidden="true">
                    {tool.ok ? "✓" : "✕"}
                  </span>{" "}
                  {TOOL_LABELS[tool.name] ?? tool.name}
                  {!tool.ok && <span className="visually-hidden"> (failed)</span>}
                </summary>
                <p className="muted small">
                  Tool <code>{tool.name}</code>
                  {tool.error ? `: ${tool.error}` : ""}
                </p>
                {tool.output && <pre className="tool-output">{JSON.stringify(tool.output, null, 2)}</pre>}
              </details>
            </li>
          ))}
        </ul>
      )}
      <div className="message-body">
        {message.content ? (
          <Markdown source={message.content} headingOffset={2} renderCitation={cite} />
        ) : message.status === "streaming" ? (
          <p className="muted">Thinking…</p>
        ) : null}
      </div>
      {message.status === "stopped" && (
        <p className="message-note muted small">You stopped this answer; it may be incomplete.</p>
      )}
      {message.status === "failed" && (
        <p className="field-error" role="alert">
          {message.error ?? "The answer could not be finished."}
        </p>
      )}
    </article>
  );
}
