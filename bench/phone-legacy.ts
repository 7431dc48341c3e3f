/**
 * The pre-libphonenumber parser (app/core/phone.ts before commit 5d13fa3: hand-written, every
 * number read as Russian first), kept ONLY as bench/phone.ts's baseline. Nothing in app/ uses
 * it; do not import it anywhere else.
 */
import { AppError } from "../app/core/errors.js";

export type PhoneResult = { ok: true; phone: string } | { ok: false; reason: string };

const SEPARATORS = /[\s\-().\u00a0\u2010-\u2015]/g;

/**
 * Normalises a phone number as people type it into forms and 1C to digits with the country
 * code (E.164 without '+'). Russian habits first, since most of our users are Russian:
 *  - `8 (900) 123-45-67`, `+7 900 123 45 67`, `79001234567`, `9001234567` -> 79001234567
 *  - `8 10 380...` (Russian international prefix) and `00 380...` -> 380...
 *  - without '+', 11 digits starting with 8 are Russian trunk-prefixed (the 8 becomes 7);
 *    with '+', the digits are taken as an international number as they are, except `+8 9xx`
 *    (11 digits, an unassigned country code) which is the common mistake for +7 9xx.
 *  - 10 digits starting with 3, 4, 8 or 9 are a Russian number without its prefix.
 * Anything else needs its country code: 11 to 15 digits, not starting with 0.
 */
export function parsePhone(input: unknown): PhoneResult {
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
  } else if (!plus && s.startsWith("810") && s.length > 11) {
    s = s.slice(3);
    plus = true;
  }

  if (s.length < 10) return { ok: false, reason: `phone number is too short (${s.length} digits)` };
  if (s.length > 15) return { ok: false, reason: `phone number is too long (${s.length} digits, at most 15)` };
  if (s.startsWith("0")) return { ok: false, reason: "country code cannot start with 0" };

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

/** parsePhone for API handlers: the normalised digits, or AppError `invalid_phone` saying what was wrong. */
export function normalizePhone(input: unknown, field = "phone_number"): string {
  const r = parsePhone(input);
  if (!r.ok) throw new AppError("invalid_phone", `${field}: ${r.reason}`, { field });
  return r.phone;
}
