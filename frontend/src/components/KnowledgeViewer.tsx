import { useEffect, useState } from "react";

import "../styles/agent.css";
import { api, errorMessage, type Schemas } from "../lib/api";
import { withBusinessParam } from "../lib/business";
import IslandBoundary from "./IslandBoundary";
import Markdown from "./Markdown";

type Summary = Schemas["KnowledgeDocumentSummary"];
type Document = Schemas["KnowledgeDocumentRead"];

type State<T> =
  | { status: "loading" }
  | { status: "error"; message: string }
  | { status: "missing" }
  | { status: "ready"; data: T };

/** "cash-flow" -> "Cash flow". */
const categoryLabel = (category: string) => {
  const words = category.replace(/[-_]+/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
};
const listHref = () => withBusinessParam("/dashboard/knowledge/");
const docHref = (docId: string) =>
  withBusinessParam(`/dashboard/knowledge/?doc=${encodeURIComponent(docId)}`);

/**
 * The knowledge base the assistant cites: `?doc=<doc_id>` shows one document (what a
 * `[Source: doc_id]` citation links to), rendered by Markdown.tsx with no raw HTML; without
 * it, the list of documents.
 */
export default function KnowledgeViewer() {
  const docId = new URLSearchParams(location.search).get("doc");
  return (
    <IslandBoundary name="The knowledge base">
      {docId ? <DocumentView docId={docId} /> : <DocumentList />}
    </IslandBoundary>
  );
}

function DocumentView({ docId }: { docId: string }) {
  const [state, setState] = useState<State<Document>>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    setState({ status: "loading" });
    api
      .GET("/api/v1/agent/knowledge/{doc_id}", { params: { path: { doc_id: docId } } })
      .then(({ data, error, response }) => {
        if (data) {
          setState({ status: "ready", data });
          document.title = `${data.title} · Vaultra`;
        } else if (response.status === 404 || response.status === 400) {
          setState({ status: "missing" });
        } else {
          setState({ status: "error", message: errorMessage(error) });
        }
      }, () => setState({ status: "error", message: errorMessage(null) }));
  }, [docId, attempt]);

  const back = (
    <p className="knowledge-back">
      <a href={listHref()}>← All documents</a>
    </p>
  );
  if (state.status === "loading") {
    return (
      <p className="state" role="status">
        Loading the document…
      </p>
    );
  }
  if (state.status === "missing") {
    return (
      <div className="state error card" role="alert">
        <h2>Document not found</h2>
        <p>There is no document called “{docId}” in the knowledge base.</p>
        <a className="button secondary" href={listHref()}>
          See all documents
        </a>
      </div>
    );
  }
  if (state.status === "error") {
    return (
      <div className="state error" role="alert">
        <p>{state.message}</p>
        <button type="button" className="button secondary" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </button>
      </div>
    );
  }
  const doc = state.data;
  return (
    <>
      {back}
      <article className="card knowledge-doc prose" aria-labelledby="doc-title">
        <p className="badge">{categoryLabel(doc.category)}</p>
        <h2 id="doc-title">{doc.title}</h2>
        <Markdown source={doc.body_markdown} headingOffset={1} />
      </article>
    </>
  );
}

function DocumentList() {
  const [state, setState] = useState<State<Summary[]>>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    api.GET("/api/v1/agent/knowledge").then(({ data, error }) => {
      setState(data ? { status: "ready", data: data.documents } : { status: "error", message: errorMessage(error) });
    }, () => setState({ status: "error", message: errorMessage(null) }));
  }, [attempt]);

  if (state.status === "loading") {
    return (
      <p className="state" role="status">
        Loading the knowledge base…
      </p>
    );
  }
  if (state.status !== "ready") {
    return (
      <div className="state error" role="alert">
        <p>{state.status === "error" ? state.message : errorMessage(null)}</p>
        <button type="button" className="button secondary" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </button>
      </div>
    );
  }
  if (state.data.length === 0) {
    return <p className="state">The knowledge base is empty.</p>;
  }
  return (
    <section aria-labelledby="documents-heading">
      <p className="muted">
        The guides the assistant cites in its answers: how the readiness score works, what lenders
        look for, and how to improve each part.
      </p>
      <h2 id="documents-heading" className="visually-hidden">
        Documents
      </h2>
      <ul className="knowledge-list grid">
        {state.data.map((doc) => (
          <li key={doc.doc_id} className="card">
            <span className="badge">{categoryLabel(doc.category)}</span>
            <a href={docHref(doc.doc_id)}>{doc.title}</a>
          </li>
        ))}
      </ul>
    </section>
  );
}
