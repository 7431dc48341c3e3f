import { describe, expect, it } from "vitest";
import { AppError } from "../../app/core/errors.js";
import { normalizePhone, parsePhone, type PhoneRegion, toPhoneRegion } from "../../app/core/phone.js";

/** [as typed, region it is read in, expected digits or the refusal's reason]. */
const table: Array<[string, PhoneRegion, string | RegExp]> = [
  // RU: the Russian habits, and what they must not swallow
  ["8 (900) 123-45-67", "RU", "79001234567"],
  ["+8 912 345 67 89", "RU", "79123456789"],
  ["8 10 49 151 12345678", "RU", "4915112345678"],
  ["8 800 555 35 35", "RU", "78005553535"],
  ["8 029 123-45-67", "RU", /not a valid phone number in any country with code \+7/],
  ["+7 000 000 00 00", "RU", /not a valid phone number/],
  // BY: trunk 8, international 8 10
  ["8 029 123-45-67", "BY", "375291234567"],
  ["8029 1234567", "BY", "375291234567"],
  ["+375 29 123 45 67", "BY", "375291234567"],
  ["375291234567", "BY", "375291234567"],
  ["8 017 123-45-67", "BY", "375171234567"],
  ["8 10 7 900 123 45 67", "BY", "79001234567"],
  ["79001234567", "BY", "79001234567"],
  ["8 029 123", "BY", /not a valid phone number in Belarus \(\+375\)/],
  ["8 029 1", "BY", /too short for Belarus/],
  // KZ: shares +7 with Russia
  ["8 701 123 45 67", "KZ", "77011234567"],
  ["+7 701 123 45 67", "KZ", "77011234567"],
  ["701 123 45 67", "KZ", "77011234567"],
  ["8 727 250 12 34", "KZ", "77272501234"],
  // UZ
  ["90 123 45 67", "UZ", "998901234567"],
  ["+998 90 123 45 67", "UZ", "998901234567"],
  ["998901234567", "UZ", "998901234567"],
  ["90 123 45", "UZ", /too short for Uzbekistan/],
  // UA: trunk 0
  ["0501234567", "UA", "380501234567"],
  ["050 123 45 67", "UA", "380501234567"],
  ["+380 50 123 45 67", "UA", "380501234567"],
  ["050 123 45", "UA", /too short for Ukraine/],
  // GE
  ["555 12 34 56", "GE", "995555123456"],
  ["+995 555 12 34 56", "GE", "995555123456"],
  ["032 2 12 34 56", "GE", "995322123456"],
  // AM
  ["077 123456", "AM", "37477123456"],
  ["+374 77 123456", "AM", "37477123456"],
  ["010 123456", "AM", "37410123456"],
  // AZ
  ["050 123 45 67", "AZ", "994501234567"],
  ["+994 50 123 45 67", "AZ", "994501234567"],
  ["012 345 67 89", "AZ", "994123456789"],
  // KG
  ["0700 123 456", "KG", "996700123456"],
  ["+996 700 123 456", "KG", "996700123456"],
  ["0555 123 456", "KG", "996555123456"],
  // DE
  ["0151 12345678", "DE", "4915112345678"],
  ["030 12345678", "DE", "493012345678"],
  ["+49 151 12345678", "DE", "4915112345678"],
  ["0049 30 12345678", "DE", "493012345678"],
  ["0151 1", "DE", /not a valid phone number in Germany/],
  ["+49 1", "DE", /too short/],
  // GB
  ["020 7946 0958", "GB", "442079460958"],
  ["07911 123456", "GB", "447911123456"],
  ["+44 7911 123456", "GB", "447911123456"],
  ["0044 20 7946 0958", "GB", "442079460958"],
  ["020 7946 09581", "GB", /too long for United Kingdom/],
  // US: trunk 1, international 011
  ["(201) 555-0123", "US", "12015550123"],
  ["1 201 555 0123", "US", "12015550123"],
  ["+1 201 555 0123", "US", "12015550123"],
  ["011 44 20 7946 0958", "US", "442079460958"],
  ["201 555 012", "US", /too short for United States/],
  ["(123) 456-7890", "US", /not a valid phone number in United States/],
  // BR
  ["(11) 91234-5678", "BR", "5511912345678"],
  ["+55 11 91234-5678", "BR", "5511912345678"],
  ["(21) 2345-6789", "BR", "552123456789"],
  // MX: E.164 without WhatsApp's old mobile 1
  ["55 1234 5678", "MX", "525512345678"],
  ["+52 55 1234 5678", "MX", "525512345678"],
  ["+52 1 55 1234 5678", "MX", "525512345678"],
  ["5215512345678", "MX", "525512345678"],
  ["+521 55 1234 5678", "RU", "525512345678"],
  // AR: mobiles keep the 9 (E.164 and WhatsApp agree)
  ["011 15 2345-6789", "AR", "5491123456789"],
  ["+54 9 11 2345-6789", "AR", "5491123456789"],
  ["5491123456789", "RU", "5491123456789"],
  ["+54 11 2345-6789", "AR", "541123456789"],
  // IN
  ["98765 43210", "IN", "919876543210"],
  ["098765 43210", "IN", "919876543210"],
  ["+91 98765 43210", "IN", "919876543210"],
  ["022 2345 6789", "IN", "912223456789"],
  // TR
  ["0532 123 45 67", "TR", "905321234567"],
  ["532 123 45 67", "TR", "905321234567"],
  ["+90 532 123 45 67", "TR", "905321234567"],
  ["0212 123 45 67", "TR", "902121234567"],
  // refusals whatever the region
  ["+999 123 456 789", "DE", /not a known country code/],
  ["abc", "GB", /only digits/],
  ["", "KZ", /empty/],
];

describe("parsePhone in a region", () => {
  it.each(table)("%s read in %s -> %s", (input, region, expected) => {
    const r = parsePhone(input, region);
    if (typeof expected === "string") expect(r).toEqual({ ok: true, phone: expected });
    else {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(expected);
    }
  });

  it("reads in Russia when no region is given", () => {
    expect(parsePhone("8 029 123-45-67").ok).toBe(false);
    expect(normalizePhone("8 (900) 123-45-67")).toBe("79001234567");
  });

  it("normalizePhone takes the region after the field name", () => {
    expect(normalizePhone("8 029 123-45-67", "phone_number", "BY")).toBe("375291234567");
    try {
      normalizePhone("8 029 1", "phone", "BY");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("invalid_phone");
      expect((err as AppError).message).toBe("phone: phone number is too short for Belarus (+375)");
    }
  });
});

describe("toPhoneRegion", () => {
  it.each([
    ["by", "BY"],
    [" GB ", "GB"],
    ["Kz", "KZ"],
  ])("%j -> %s", (input, expected) => {
    expect(toPhoneRegion(input)).toBe(expected);
  });

  it.each([["XX"], ["GBR"], [""], [7], [undefined]])("refuses %j", (input) => {
    expect(toPhoneRegion(input)).toBeUndefined();
  });
});
