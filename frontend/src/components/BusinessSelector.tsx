import { useState, type ChangeEvent } from "react";

import { chooseBusiness } from "../lib/business";
import { useBusiness } from "../lib/session";
import IslandBoundary from "./IslandBoundary";

const NEW_BUSINESS = "__new__";

/**
 * The header's business switcher: lists GET /users/me's businesses, remembers the choice and
 * announces it (BUSINESS_CHANGE_EVENT), so every island on the page reloads for that business.
 */
export default function BusinessSelector() {
  return (
    <IslandBoundary name="The business menu">
      <Selector />
    </IslandBoundary>
  );
}

function Selector() {
  const state = useBusiness();
  const [announcement, setAnnouncement] = useState("");
  const [selected, setSelected] = useState("");

  if (state.status !== "ready" || state.kind === "none") {
    return (
      <div className="business-selector">
        <label htmlFor="business-select">Business</label>
        <select id="business-select" disabled value="">
          <option value="">{state.status === "error" ? "Unavailable" : "Loading…"}</option>
        </select>
      </div>
    );
  }

  const onChange = (event: ChangeEvent<HTMLSelectElement>) => {
    const id = event.target.value;
    if (id === NEW_BUSINESS) {
      location.assign("/onboarding/business");
      return;
    }
    const business = state.businesses.find((item) => item.id === id);
    if (!business) return;
    setSelected(id);
    chooseBusiness(id);
    setAnnouncement(`Showing ${business.name}`);
  };

  const value = selected || (state.kind === "selected" ? state.business.id : "");
  return (
    <div className="business-selector">
      <label htmlFor="business-select">Business</label>
      <select id="business-select" value={value} onChange={onChange}>
        {!value && (
          <option value="" disabled>
            Choose a business
          </option>
        )}
        {state.businesses.map((business) => (
          <option key={business.id} value={business.id}>
            {business.name}
          </option>
        ))}
        <option value={NEW_BUSINESS}>+ New business</option>
      </select>
      <p className="visually-hidden" role="status">
        {announcement}
      </p>
    </div>
  );
}
