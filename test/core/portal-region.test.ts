import { describe, expect, it } from "vitest";
import { amocrmInstallRegion, bitrix24InstallRegion, portalRegion } from "../../app/core/portal-region.js";

describe("bitrix24InstallRegion", () => {
  it.each([
    ["company.bitrix24.by", "en", "BY"],
    ["company.bitrix24.kz", "ru", "KZ"],
    ["company.bitrix24.ua", undefined, "UA"],
    ["company.bitrix24.uz", undefined, "UZ"],
    ["company.bitrix24.ru", "en", "RU"],
    ["crm.example.ru", undefined, "RU"],
    ["company.bitrix24.de", undefined, "DE"],
    ["company.bitrix24.com", "de", "DE"],
    ["company.bitrix24.eu", "pl", "PL"],
    ["company.bitrix24.com", "br", "BR"],
    ["company.bitrix24.com", "en", undefined],
    ["company.bitrix24.com", undefined, undefined],
    ["127.0.0.1:8080", "by", "BY"],
  ])("%s with LANG %s -> %s", (domain, lang, expected) => {
    expect(bitrix24InstallRegion(domain, lang)).toBe(expected);
  });
});

describe("amocrmInstallRegion", () => {
  it("without the account's country: amoCRM accounts are Russian, Kommo ones are left unset", () => {
    expect(amocrmInstallRegion("amocrm")).toBe("RU");
    expect(amocrmInstallRegion("kommo")).toBeUndefined();
    expect(amocrmInstallRegion("kommo", null)).toBeUndefined();
  });

  it("the account's country (GET /api/v4/account `country`, an ISO code in Kommo's example) wins on both platforms", () => {
    expect(amocrmInstallRegion("amocrm", "KZ")).toBe("KZ");
    expect(amocrmInstallRegion("kommo", "US")).toBe("US");
    expect(amocrmInstallRegion("kommo", "gb")).toBe("GB");
  });

  it("a country value that is not an ISO code we know (a name, an empty string) falls back to the platform rule", () => {
    expect(amocrmInstallRegion("amocrm", "Kazakhstan")).toBe("RU");
    expect(amocrmInstallRegion("kommo", "")).toBeUndefined();
    expect(amocrmInstallRegion("kommo", "XX")).toBeUndefined();
  });
});

describe("portalRegion", () => {
  it("reads settings.region, else RU", () => {
    expect(portalRegion({ settings: { region: "BY" } })).toBe("BY");
    expect(portalRegion({ settings: { region: "kz" } })).toBe("KZ");
    expect(portalRegion({ settings: { region: "XX" } })).toBe("RU");
    expect(portalRegion({ settings: {} })).toBe("RU");
    expect(portalRegion(undefined)).toBe("RU");
  });
});
