import { describe, expect, it } from "vitest";
import { AppError } from "../../app/core/errors.js";
import { normalizePhone, parsePhone } from "../../app/core/phone.js";

const valid: Array<[string, string]> = [
  ["8 (900) 123-45-67", "79001234567"],
  ["+7 900 123 45 67", "79001234567"],
  ["79001234567", "79001234567"],
  ["9001234567", "79001234567"],
  ["89001234567", "79001234567"],
  ["+79001234567", "79001234567"],
  ["7 (900) 123-45-67", "79001234567"],
  ["+7(900)1234567", "79001234567"],
  ["8-900-123-45-67", "79001234567"],
  ["8.900.123.45.67", "79001234567"],
  ["  +7 900 123-45-67  ", "79001234567"],
  ["+7\u00a0900\u00a0123\u00a045\u00a067", "79001234567"],
  ["+7 900 123\u201345\u201367", "79001234567"],
  ["tel:+79001234567", "79001234567"],
  ["(900) 123-45-67", "79001234567"],
  ["8 (495) 646-00-54", "74956460054"],
  ["4956460054", "74956460054"],
  ["8 800 555 35 35", "78005553535"],
  ["3432123456", "73432123456"],
  ["+8 900 123 45 67", "79001234567"],
  ["+7 701 123 45 67", "77011234567"],
  ["+380 50 123 45 67", "380501234567"],
  ["380501234567", "380501234567"],
  ["00380501234567", "380501234567"],
  ["8 10 380 50 123 45 67", "380501234567"],
  ["+375 29 123-45-67", "375291234567"],
  ["+998 90 123 45 67", "998901234567"],
  ["+1 (212) 555-1234", "12125551234"],
  ["+49 151 12345678", "4915112345678"],
  ["+84 912 345 678", "84912345678"],
  ["+86 138 0013 8000", "8613800138000"],
];

const invalid: Array<[unknown, RegExp]> = [
  ["", /empty/],
  ["   ", /empty/],
  [undefined, /missing/],
  [null, /missing/],
  ["abc", /only digits/],
  ["+7 900 ABC 45 67", /only digits/],
  ["12345", /too short/],
  ["900123456", /too short/],
  ["+9001234567", /10 digits after \+/],
  ["2125551234", /not Russian/],
  ["7900123456789", /country code 7 has 11 digits/],
  ["+7 8 900 123 45 67", /country code 7 has 11 digits/],
  ["1234567890123456", /too long/],
  ["0501234567", /not Russian|country code cannot start with 0/],
  ["+0 501 234 5678", /cannot start with 0/],
  ["79001234567; drop table", /only digits/],
];

describe("parsePhone", () => {
  it.each(valid)("%s -> %s", (input, expected) => {
    expect(parsePhone(input)).toEqual({ ok: true, phone: expected });
  });

  it.each(invalid)("rejects %j", (input, reason) => {
    const r = parsePhone(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it("accepts numbers given as JSON numbers (1C sends them so)", () => {
    expect(parsePhone(79001234567)).toEqual({ ok: true, phone: "79001234567" });
  });
});

describe("normalizePhone", () => {
  it("returns the digits", () => {
    expect(normalizePhone("8 (900) 123-45-67")).toBe("79001234567");
  });

  it("throws invalid_phone naming the field and the reason", () => {
    try {
      normalizePhone("12345", "phone_number");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      const e = err as AppError;
      expect(e.code).toBe("invalid_phone");
      expect(e.status).toBe(400);
      expect(e.message).toBe("phone_number: phone number is too short (5 digits)");
    }
  });
});
