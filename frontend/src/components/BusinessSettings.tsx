import { useEffect, useState, type SubmitEvent } from "react";

import "../styles/settings.css";
import { api, errorMessage, type ApiError, type Schemas } from "../lib/api";
import { minorUnitExponent, toMajorUnits } from "../lib/money";
import { loadMe, type BusinessSummary } from "../lib/session";
import BusinessGate from "./BusinessGate";
import IslandBoundary from "./IslandBoundary";

type Business = Schemas["BusinessRead"];

interface Draft {
  name: string;
  legal_entity: string;
  industry: string;
  country: string;
  currency: string;
  founded_at: string;
  revenue: string;
}

function toDraft(business: Business): Draft {
  return {
    name: business.name,
    legal_entity: business.legal_entity ?? "",
    industry: business.industry ?? "",
    country: business.country ?? "",
    currency: business.currency.toUpperCase(),
    founded_at: business.founded_at ?? "",
    revenue:
      business.revenue_estimate === null ? "" : String(toMajorUnits(business.revenue_estimate, business.currency)),
  };
}

/** The current business's fields (PATCH /users/businesses/{id}); owners and admins edit. */
export default function BusinessSettings() {
  return (
    <IslandBoundary name="The business settings">
      <BusinessGate>{(business) => <BusinessForm key={business.id} summary={business} />}</BusinessGate>
    </IslandBoundary>
  );
}

function BusinessForm({ summary }: { summary: BusinessSummary }) {
  const [business, setBusiness] = useState<Business | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [saving, setSaving] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string; errors?: ApiError["errors"] } | null>(null);
  const canEdit = summary.role === "owner" || summary.role === "admin";

  const load = () => {
    setLoadError(null);
    api
      .GET("/api/v1/users/businesses/{business_id}", { params: { path: { business_id: summary.id } } })
      .then(({ data, error }) => {
        if (data) {
          setBusiness(data);
          setDraft(toDraft(data));
        } else setLoadError(errorMessage(error));
      }, () => setLoadError(errorMessage(null)));
  };
  useEffect(load, [summary.id]);

  const set = (field: keyof Draft) => (event: { target: { value: string } }) =>
    setDraft((d) => (d ? { ...d, [field]: event.target.value } : d));

  const save = async (event: SubmitEvent) => {
    event.preventDefault();
    if (!draft || !business) return;
    const currency = draft.currency.trim().toLowerCase();
    let revenue: number | null = null;
    if (draft.revenue.trim()) {
      const major = Number(draft.revenue.replace(/[,\s]/g, ""));
      if (!Number.isFinite(major) || major < 0) {
        setResult({ ok: false, text: "Check the highlighted field.", errors: [{ field: "revenue_estimate", message: "Enter an amount, such as 250000." }] });
        return;
      }
      revenue = Math.round(major * 10 ** minorUnitExponent(currency || business.currency));
    }
    setSaving(true);
    setResult(null);
    const { data, error } = await api.PATCH("/api/v1/users/businesses/{business_id}", {
      params: { path: { business_id: business.id } },
      body: {
        name: draft.name,
        legal_entity: draft.legal_entity.trim() || null,
        industry: draft.industry.trim() || null,
        country: draft.country.trim() || null,
        currency,
        founded_at: draft.founded_at || null,
        revenue_estimate: revenue,
      },
    });
    setSaving(false);
    if (data) {
      setBusiness(data);
      setDraft(toDraft(data));
      setResult({ ok: true, text: "Business saved." });
      // The header's selector shows the name: refresh the shared user record.
      void loadMe(true);
    } else {
      setResult({ ok: false, text: errorMessage(error), errors: error?.errors });
    }
  };

  const fieldError = (field: string) =>
    result?.errors?.find((e) => e.field === field || e.field.endsWith(`.${field}`))?.message;

  const field = (id: keyof Draft, apiField: string, label: string, props: Record<string, unknown> = {}) => {
    const message = fieldError(apiField);
    return (
      <div className="field">
        <label htmlFor={`business-${id}`}>{label}</label>
        <input
          id={`business-${id}`}
          value={draft?.[id] ?? ""}
          onChange={set(id)}
          readOnly={!canEdit}
          aria-invalid={message ? true : undefined}
          aria-describedby={message ? `business-${id}-error` : undefined}
          {...props}
        />
        {message && (
          <p id={`business-${id}-error`} className="field-error">
            {message}
          </p>
        )}
      </div>
    );
  };

  return (
    <section className="card settings-card" aria-labelledby="business-heading">
      <h2 id="business-heading">Business</h2>
      {loadError ? (
        <div className="state error" role="alert">
          <p>{loadError}</p>
          <button type="button" className="button secondary" onClick={load}>
            Try again
          </button>
        </div>
      ) : !draft ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : (
        <form onSubmit={save} noValidate>
          {!canEdit && <p className="muted">Only an owner or an admin can change these details.</p>}
          <div className="settings-fields">
            {field("name", "name", "Business name", { required: true, maxLength: 200 })}
            {field("legal_entity", "legal_entity", "Legal entity", { placeholder: "e.g. Acme Coffee LLC" })}
            {field("industry", "industry", "Industry", { placeholder: "e.g. SaaS" })}
            {field("country", "country", "Country (ISO code)", { maxLength: 2, placeholder: "US", autoComplete: "country" })}
            {field("currency", "currency", "Currency (ISO code)", { maxLength: 3, placeholder: "USD" })}
            {field("founded_at", "founded_at", "Founded", { type: "date" })}
            {field("revenue", "revenue_estimate", `Annual revenue (${(draft.currency || "usd").toUpperCase()})`, {
              inputMode: "decimal",
              placeholder: "Estimate, e.g. 250000",
            })}
          </div>
          {canEdit && (
            <div className="settings-actions">
              <button type="submit" className="button" disabled={saving}>
                Save business
              </button>
              {result && (
                <p className={result.ok ? "saved" : "field-error"} role={result.ok ? "status" : "alert"}>
                  {result.text}
                </p>
              )}
            </div>
          )}
        </form>
      )}
    </section>
  );
}
