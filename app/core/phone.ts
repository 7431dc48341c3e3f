import { z } from "zod";
// The `max` metadata set: per-country number patterns, so `8 029 123` in BY or `0151 1` in DE
// is refused (with `min` libphonenumber only checks lengths and accepts them), and landlines
// and 8 800 numbers stay valid (`/mobile` refuses them). Workers bundle, gzipped: 289.8 KiB
// before, 321.1 with `min`, 325.4 with `mobile`, 341.2 with `max`, budget 400 (bench/bundle-size.ts).
import {
  type CountryCode,
  getCountryCallingCode,
  isSupportedCountry,
  parsePhoneNumberFromString,
  validatePhoneNumberLength,
} from "libphonenumber-js/max";
import { AppError } from "./errors.js";

export type PhoneResult = { ok: true; phone: string } | { ok: false; reason: string };

/** ISO 3166-1 alpha-2 region a number without its country code is read in. */
export type PhoneRegion = CountryCode;

/** Most of our users are Russian: the region when the portal has none and the caller gives none. */
export const DEFAULT_PHONE_REGION: PhoneRegion = "RU";

const SEPARATORS = /[\s\-().\u00a0\u2010-\u2015]/g;

/** `by`, `BY` -> `BY`; undefined for anything libphonenumber has no metadata for. */
export function toPhoneRegion(value: unknown): PhoneRegion | undefined {
  if (typeof value !== "string") return undefined;
  const upper = value.trim().toUpperCase();
  return /^[A-Z]{2}$/.test(upper) && isSupportedCountry(upper) ? upper : undefined;
}

let regionNames: Intl.DisplayNames | null | undefined;
function regionName(region: string): string {
  if (regionNames === undefined) {
    try {
      regionNames = new Intl.DisplayNames(["en"], { type: "region" });
    } catch {
      regionNames = null; // a runtime without ICU region names: the code is still readable
    }
  }
  return regionNames?.of(region) ?? region;
}

/**
 * Normalises a phone number as people type it into forms and 1C to digits with the country
 * code (E.164 without '+'). A number with '+' (or `00`, or the region's international prefix)
 * is taken as international; one without is read in `region`, with that country's trunk
 * prefix (`8` in BY/KZ, `0` in UA/GB/DE/TR, `1` in US…). Numbers typed with their country
 * code but without '+' are accepted when they do not read as a national number.
 *
 * Russian habits kept for RU (the default), since most of our users are Russian:
 *  - `8 (900) 123-45-67`, `+7 900 123 45 67`, `79001234567`, `9001234567` -> 79001234567
 *  - `8 10 380...` (Russian international prefix) and `00 380...` -> 380...
 *  - `+8 9xx` (11 digits, an unassigned country code) is the common mistake for +7 9xx.
 *
 * WhatsApp quirks: Argentine mobiles are `54 9 …` in E.164 (libphonenumber adds the 9 to a
 * national `011 15 …`), which is also WhatsApp's id, so they are kept. Mexican mobiles lost
 * their `1` after the country code in 2019; WhatsApp still shows old ids as `521…`. We
 * normalise `521` + 10 digits to E.164 `52` + 10 digits so one person is one conversation
 * whichever form was typed or received; providers accept the E.164 form.
 */
export function parsePhone(input: unknown, region: PhoneRegion = DEFAULT_PHONE_REGION): PhoneResult {
  if (typeof input !== "string" && typeof input !== "number") return { ok: false, reason: "phone number is missing" };
  let s = String(input).trim();
  if (s === "") return { ok: false, reason: "phone number is empty" };
  s = s.replace(/^tel:/i, "").replace(SEPARATORS, "");
  let plus = false;
  if (s.startsWith("+")) {
    plus = true;
    s = s.slice(1);
  }
  if (!/^\d+$/.test(s)) {
    return { ok: false, reason: "phone number may contain only digits, spaces, brackets, dashes and a leading +" };
  }
  if (!plus && s.startsWith("00")) {
    s = s.slice(2);
    plus = true;
  } else if (!plus && region === "RU" && s.startsWith("810") && s.length > 11) {
    s = s.slice(3);
    plus = true;
  }
  if (s.length > 15) return { ok: false, reason: `phone number is too long (${s.length} digits, at most 15)` };
  if (plus && s.startsWith("0")) return { ok: false, reason: "country code cannot start with 0" };

  if (region === "RU") {
    const ru = russianHabits(s, plus);
    if (!ru.ok) return ru;
    return validateInternational(mexicanMobile(ru.phone));
  }
  if (plus) {
    if (s.length < 8) return { ok: false, reason: `phone number is too short (${s.length} digits after +)` };
    return validateInternational(mexicanMobile(s));
  }
  return readNational(s, region);
}

/** The rules this module had before it knew regions; every existing RU caller relies on them. */
function russianHabits(s: string, plus: boolean): PhoneResult {
  if (s.length < 10) return { ok: false, reason: `phone number is too short (${s.length} digits)` };
  if (!plus && s.startsWith("0")) return { ok: false, reason: "country code cannot start with 0" };
  if (s.length === 10) {
    if (plus) return { ok: false, reason: "phone number is too short (10 digits after +)" };
    if (/^[3489]/.test(s)) return { ok: true, phone: `7${s}` };
    return { ok: false, reason: "10-digit number is not Russian: add the country code" };
  }
  if (s.length === 11 && s.startsWith("8")) {
    if (!plus || s.startsWith("89")) return { ok: true, phone: `7${s.slice(1)}` };
  }
  if (s.length === 11 && s.startsWith("7")) return { ok: true, phone: s };
  if (s.startsWith("7")) {
    return { ok: false, reason: `a number with country code 7 has 11 digits, got ${s.length}` };
  }
  return { ok: true, phone: s };
}

/** `521` + 10 digits (WhatsApp's old Mexican mobile id) -> E.164 `52` + 10 digits. */
function mexicanMobile(digits: string): string {
  return /^521\d{10}$/.test(digits) ? `52${digits.slice(3)}` : digits;
}

/** Digits with their country code: known code, right length, a number that exists there. */
function validateInternational(digits: string): PhoneResult {
  const text = `+${digits}`;
  const length = validatePhoneNumberLength(text);
  const parsed = parsePhoneNumberFromString(text);
  if (length === "INVALID_COUNTRY" || !parsed) {
    return { ok: false, reason: `+${digits.slice(0, 3)}… is not a known country code` };
  }
  const where = parsed.country
    ? `${regionName(parsed.country)} (+${parsed.countryCallingCode})`
    : `any country with code +${parsed.countryCallingCode}`;
  if (length === "TOO_SHORT") return { ok: false, reason: `phone number is too short for ${where}` };
  if (length === "TOO_LONG") return { ok: false, reason: `phone number is too long for ${where}` };
  if (length !== undefined || !parsed.isValid()) {
    return { ok: false, reason: `not a valid phone number in ${where}` };
  }
  return { ok: true, phone: parsed.number.slice(1) };
}

/** A number without '+' in `region`: national first, then as an international number missing its '+'. */
function readNational(s: string, region: PhoneRegion): PhoneResult {
  const national = parsePhoneNumberFromString(s, region);
  if (national?.isValid()) return { ok: true, phone: mexicanMobile(national.number.slice(1)) };
  if (s.length >= 11) {
    const international = validateInternational(mexicanMobile(s));
    if (international.ok) return international;
  }
  const where = `${regionName(region)} (+${getCountryCallingCode(region)})`;
  const length = validatePhoneNumberLength(s, region);
  if (length === "TOO_SHORT") return { ok: false, reason: `phone number is too short for ${where}` };
  if (length === "TOO_LONG") return { ok: false, reason: `phone number is too long for ${where}` };
  return { ok: false, reason: `not a valid phone number in ${where}: check it or add the country code with +` };
}

/**
 * parsePhone for API handlers: the normalised digits, or AppError `invalid_phone` saying what
 * was wrong. `region` is where a number without country code is read (the portal's region).
 */
export function normalizePhone(
  input: unknown,
  field = "phone_number",
  region: PhoneRegion = DEFAULT_PHONE_REGION,
): string {
  const r = parsePhone(input, region);
  if (!r.ok) throw new AppError("invalid_phone", `${field}: ${r.reason}`, { field });
  return r.phone;
}

/** An ISO 3166 country code given by a caller (webhook `country`, the admin's portal region), as a PhoneRegion. */
export const phoneRegionSchema = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const region = toPhoneRegion(value);
    if (region) return region;
    ctx.addIssue({ code: "custom", message: "must be a two-letter ISO 3166 country code such as BY or GB" });
    return z.NEVER;
  });
