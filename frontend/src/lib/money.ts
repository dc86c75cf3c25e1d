/**
 * Money arrives as integer minor units plus a currency, as Stripe counts them: most currencies
 * have two decimals, Stripe's zero-decimal ones none (¥500 is 500), and five have three.
 */

// Stripe's lists (the backend's app/core/iso.py keeps the zero-decimal one).
const ZERO_DECIMAL = new Set([
  "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
  "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
]);
const THREE_DECIMAL = new Set(["BHD", "JOD", "KWD", "OMR", "TND"]);

/** Decimal places of the currency's minor unit. */
export function minorUnitExponent(currency: string): number {
  const code = currency.toUpperCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

export function toMajorUnits(minor: number, currency: string): number {
  return minor / 10 ** minorUnitExponent(currency);
}

const formatters = new Map<string, Intl.NumberFormat>();

/** "$1,234.56" from (123456, "usd"); full amounts, never "1.2K". */
export function formatMoney(minor: number, currency: string, locale = "en-US"): string {
  const code = currency.toUpperCase();
  const key = `${locale}|${code}`;
  let format = formatters.get(key);
  if (!format) {
    const digits = minorUnitExponent(code);
    format = new Intl.NumberFormat(locale, {
      style: "currency",
      currency: code,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    formatters.set(key, format);
  }
  return format.format(toMajorUnits(minor, code));
}
