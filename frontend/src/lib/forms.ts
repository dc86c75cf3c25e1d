/**
 * The plain-DOM side of the sign-in and onboarding forms (no React: these pages ship a few KB).
 * Markup contract: each field's error is an element `[data-error-for="<name>"]`, referenced by
 * the control's aria-describedby; the form-level message is `[data-form-alert]` (role="alert").
 */

import { safeNext } from "./auth";

export const UNREACHABLE = "Vaultra could not be reached. Check your connection and try again.";

function control(form: HTMLFormElement, name: string): HTMLElement | null {
  const element = form.elements.namedItem(name);
  return element instanceof HTMLElement ? element : null;
}

export function clearErrors(form: HTMLFormElement): void {
  for (const slot of form.querySelectorAll<HTMLElement>("[data-error-for]")) {
    slot.textContent = "";
    slot.hidden = true;
    control(form, slot.dataset.errorFor ?? "")?.removeAttribute("aria-invalid");
  }
  const alert = form.querySelector<HTMLElement>("[data-form-alert]");
  if (alert) alert.textContent = "";
}

/**
 * Each message next to its field (marked invalid), the rest in the form's alert; focus moves to
 * the topmost invalid field so its message is read out, else the alert is announced.
 */
export function showErrors(
  form: HTMLFormElement,
  fields: Record<string, string>,
  message: string | null,
): void {
  clearErrors(form);
  const unplaced: string[] = [];
  for (const [name, text] of Object.entries(fields)) {
    const slot = form.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(name)}"]`);
    const field = control(form, name);
    if (!slot || !field) {
      unplaced.push(text);
      continue;
    }
    slot.textContent = text;
    slot.hidden = false;
    field.setAttribute("aria-invalid", "true");
  }
  const first = form.querySelector<HTMLElement>('[aria-invalid="true"]'); // in page order
  const alert = form.querySelector<HTMLElement>("[data-form-alert]");
  const summary = first && !unplaced.length ? "Please correct the highlighted fields." : null;
  if (alert) alert.textContent = [message ?? summary, ...unplaced].filter(Boolean).join(" ");
  first?.focus();
}

/** While a request runs: the submit button is disabled and says it is busy. */
export function setBusy(form: HTMLFormElement, busy: boolean): void {
  const submit = form.querySelector<HTMLButtonElement>("button[type=submit]");
  if (!submit) return;
  submit.disabled = busy;
  submit.setAttribute("aria-busy", String(busy));
}

/** The trimmed text value of a field ("" when absent). */
export function value(form: HTMLFormElement, name: string): string {
  const element = form.elements.namedItem(name);
  const raw = element instanceof HTMLInputElement || element instanceof HTMLSelectElement
    ? element.value
    : "";
  return name === "password" ? raw : raw.trim();
}

/** Links marked `data-keep-next` carry this page's `next` (sign-up <-> log-in). */
export function keepNext(root: ParentNode = document): void {
  const next = safeNext(new URLSearchParams(location.search).get("next"));
  if (!next) return;
  for (const link of root.querySelectorAll<HTMLAnchorElement>("a[data-keep-next]")) {
    const url = new URL(link.href, location.href);
    url.searchParams.set("next", next);
    link.href = `${url.pathname}${url.search}`;
  }
}

/** The "Show password" checkbox switches its password field between hidden and shown. */
export function bindShowPassword(root: ParentNode = document): void {
  for (const toggle of root.querySelectorAll<HTMLInputElement>("input[data-show-password]")) {
    const target = document.getElementById(toggle.dataset.showPassword ?? "");
    if (!(target instanceof HTMLInputElement)) continue;
    toggle.addEventListener("change", () => {
      target.type = toggle.checked ? "text" : "password";
    });
  }
}
