/**
 * The country and currency codes the API accepts (backend app/core/iso.py: ISO 3166-1 alpha-2
 * and ISO 4217, lower case as Stripe writes them), for the onboarding selects. Used at build
 * time only: the names come from Intl.DisplayNames there, so no list ships to the browser.
 * tests/web/test_onboarding.py checks the built page offers exactly the backend's codes.
 */

export const COUNTRY_CODES: readonly string[] = [
  "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
  "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
  "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
  "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
  "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
  "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
  "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
  "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
  "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
  "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
  "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
  "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
  "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
  "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
  "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
  "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

export const CURRENCY_CODES: readonly string[] = [
  "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam", "bbd", "bdt", "bgn",
  "bhd", "bif", "bmd", "bnd", "bob", "brl", "bsd", "btn", "bwp", "byn", "bzd", "cad", "cdf", "chf",
  "clp", "cny", "cop", "crc", "cup", "cve", "czk", "djf", "dkk", "dop", "dzd", "egp", "ern", "etb",
  "eur", "fjd", "fkp", "gbp", "gel", "ghs", "gip", "gmd", "gnf", "gtq", "gyd", "hkd", "hnl", "htg",
  "huf", "idr", "ils", "inr", "iqd", "irr", "isk", "jmd", "jod", "jpy", "kes", "kgs", "khr", "kmf",
  "kpw", "krw", "kwd", "kyd", "kzt", "lak", "lbp", "lkr", "lrd", "lsl", "lyd", "mad", "mdl", "mga",
  "mkd", "mmk", "mnt", "mop", "mru", "mur", "mvr", "mwk", "mxn", "myr", "mzn", "nad", "ngn", "nio",
  "nok", "npr", "nzd", "omr", "pab", "pen", "pgk", "php", "pkr", "pln", "pyg", "qar", "ron", "rsd",
  "rub", "rwf", "sar", "sbd", "scr", "sdg", "sek", "sgd", "shp", "sle", "sos", "srd", "ssp", "stn",
  "svc", "syp", "szl", "thb", "tjs", "tmt", "tnd", "top", "try", "ttd", "twd", "tzs", "uah", "ugx",
  "usd", "uyu", "uzs", "ves", "vnd", "vuv", "wst", "xaf", "xcd", "xof", "xpf", "yer", "zar", "zmw",
  "zwl",
];

/** Listed first in the currency select: the ones most Stripe businesses settle in. */
export const COMMON_CURRENCIES: readonly string[] = ["usd", "eur", "gbp", "cad", "aud", "nzd", "sgd", "jpy", "chf", "sek"];

export interface Option {
  value: string;
  label: string;
}

/** Countries by name ("Germany", value "DE"), in `locale`'s order. */
export function countryOptions(locale = "en"): Option[] {
  const names = new Intl.DisplayNames([locale], { type: "region" });
  return byLabel(COUNTRY_CODES.map((code) => ({ value: code, label: names.of(code) ?? code })), locale);
}

/** Currencies as "USD · US Dollar" (value "usd"), in `locale`'s order. */
export function currencyOptions(codes: readonly string[] = CURRENCY_CODES, locale = "en"): Option[] {
  const names = new Intl.DisplayNames([locale], { type: "currency" });
  return codes.map((code) => {
    const upper = code.toUpperCase();
    const name = names.of(upper);
    return { value: code, label: name && name !== upper ? `${upper} · ${name}` : upper };
  });
}

function byLabel(options: Option[], locale: string): Option[] {
  const collator = new Intl.Collator(locale);
  return options.sort((a, b) => collator.compare(a.label, b.label));
}

/**
 * The usual currency of a country, to suggest when one is picked (the founder can change it).
 * Only where it is unambiguous; otherwise the currency stays as it is.
 */
export const COUNTRY_CURRENCY: Readonly<Record<string, string>> = {
  US: "usd", CA: "cad", GB: "gbp", AU: "aud", NZ: "nzd", IE: "eur", DE: "eur", FR: "eur",
  ES: "eur", IT: "eur", NL: "eur", BE: "eur", AT: "eur", PT: "eur", FI: "eur", GR: "eur",
  LU: "eur", EE: "eur", LV: "eur", LT: "eur", SK: "eur", SI: "eur", MT: "eur", CY: "eur",
  HR: "eur", CH: "chf", SE: "sek", NO: "nok", DK: "dkk", PL: "pln", CZ: "czk", HU: "huf",
  RO: "ron", JP: "jpy", SG: "sgd", HK: "hkd", IN: "inr", MX: "mxn", BR: "brl",
  AE: "aed", TH: "thb", MY: "myr",
};
