import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminHarness } from "../../api/admin/harness.js";
import { backends } from "../../support/db.js";
import type { FakeElement } from "./fake-settings-dom.js";
import { buttonIn, openPage, tagged, until } from "./settings-page-run.js";

const ISSUE_COUNTRIES = ["RU", "BY", "KZ", "UZ", "UA", "GE", "AM", "AZ", "KG", "DE", "GB", "US", "BR", "MX", "AR", "IN", "TR"];

const optionValues = (select: FakeElement) => tagged(select, "option").map((o) => String(o.value));
const statusOf = (region: FakeElement) => region.descendants().find((n) => n.id === "cb-region-status")!;

describe.each(await backends())("settings page: the portal's phone region and the docs links (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("shows the region from GET /api/portal with the explanation, and saves a choice with PATCH /api/portal", async () => {
    const { portal, token } = await h.adminPortal();
    const { byId } = await openPage(h, portal);
    await until("the region select", () => byId("cb-region-select") !== undefined);
    const region = byId("cb-region")!;
    const select = byId("cb-region-select")!;
    expect(optionValues(select)).toEqual([...ISSUE_COUNTRIES, "other"]);
    expect(select.value).toBe("RU");
    expect(tagged(select, "option").find((o) => o.value === "BY")!.textContent).toBe("Belarus (BY)");
    expect(region.textContent).toContain("Numbers typed without country code are read as this country's");
    expect(region.textContent).toContain("Not chosen yet: numbers are read as Russian ones.");
    expect(byId("cb-region-other")!.hidden).toBe(true);

    select.value = "BY";
    select.fire("change");
    buttonIn(region, "Save")!.fire("click");
    await until("the saved note", () => statusOf(region).textContent.startsWith("Saved"));
    expect(statusOf(region).textContent).toBe("Saved: numbers without country code are read as Belarus (BY).");
    expect(byId("cb-region-select")!.value).toBe("BY");
    expect(region.textContent).not.toContain("Not chosen yet");
    expect((await h.call("GET", "/api/portal", token)).body.portal).toMatchObject({ region: "BY", region_is_default: false });
  });

  it("other: a stored region outside the list shows as its ISO code; a typed code is saved; a wrong one is refused with the API's or the page's reason", async () => {
    const { portal, token } = await h.adminPortal();
    expect((await h.call("PATCH", "/api/portal", token, { region: "PL" })).status).toBe(200);
    const { byId } = await openPage(h, portal);
    await until("the region select", () => byId("cb-region-select") !== undefined);
    const region = byId("cb-region")!;
    expect(byId("cb-region-select")!.value).toBe("other");
    expect(byId("cb-region-other")!.hidden).toBe(false);
    expect(byId("cb-region-other")!.value).toBe("PL");

    // not two letters: caught before any request
    byId("cb-region-other")!.value = "Poland";
    buttonIn(region, "Save")!.fire("click");
    expect(statusOf(region).textContent).toBe("Type the country's two-letter ISO code, e.g. PL.");
    // two letters but no such country: the API's reason
    byId("cb-region-other")!.value = "xx";
    buttonIn(region, "Save")!.fire("click");
    await until("the API's refusal", () => statusOf(region).textContent.startsWith("region:"));
    expect(statusOf(region).className).toBe("cb-status cb-status-error");
    expect((await h.call("GET", "/api/portal", token)).body.portal).toMatchObject({ region: "PL" });

    byId("cb-region-other")!.value = "ge";
    buttonIn(region, "Save")!.fire("click");
    await until("the saved note", () => statusOf(region).textContent.startsWith("Saved"));
    // GE is in the list: the select now shows it and the code field hides
    expect(byId("cb-region-select")!.value).toBe("GE");
    expect(byId("cb-region-other")!.hidden).toBe(true);
    expect((await h.call("GET", "/api/portal", token)).body.portal).toMatchObject({ region: "GE" });
  });

  it("a Russian-speaking admin gets the texts and country names in Russian", async () => {
    const { portal } = await h.adminPortal();
    const { byId } = await openPage(h, portal, { path: "/b24/app", lang: "ru" });
    await until("the region select", () => byId("cb-region-select") !== undefined);
    const region = byId("cb-region")!;
    expect(region.textContent).toContain("Номера, набранные без кода страны, читаются как номера этой страны");
    const select = byId("cb-region-select")!;
    expect(tagged(select, "option").find((o) => o.value === "KZ")!.textContent).toBe("Казахстан (KZ)");
    expect(tagged(select, "option").find((o) => o.value === "other")!.textContent).toBe("Другая: введите ISO-код");
    expect(buttonIn(region, "Сохранить")).toBeDefined();
  });

  it.each([
    ["en", "Documentation"],
    ["ru", "Документация"],
  ])("each channel's webhook URL has a %s docs link: <PUBLIC_URL>/docs?lang=..#url=<the URL, encoded>, new after regeneration", async (lang, label) => {
    const { portal, token } = await h.adminPortal();
    await h.apiChannel(token, "Sales");
    const { byId } = await openPage(h, portal, { path: "/b24/app", lang });
    const card = () => tagged(byId("cb-channels")!, "article")[0]!;
    const webhookUrl = () => String(card().descendants().find((n) => n.tagName === "input" && String(n.value).includes("/rest/webhook/"))!.value);
    const link = () => tagged(card(), "a").find((a) => a.className === "cb-docs")!;
    await until("the channel card", () => tagged(byId("cb-channels")!, "article").length === 1);
    expect(webhookUrl()).toMatch(/^https:\/\/bridge\.example\/rest\/webhook\/wa\/[A-Za-z0-9_-]+$/);
    expect(link().textContent).toBe(label);
    expect(link().href).toBe(`https://bridge.example/docs?lang=${lang}#url=${encodeURIComponent(webhookUrl())}`);
    // the token is only in the fragment, which a browser does not send
    expect(String(link().href).split("#")[0]).not.toContain(webhookUrl().split("/").pop());
    expect(link()).toMatchObject({ target: "_blank", rel: "noopener noreferrer" });

    const before = webhookUrl();
    buttonIn(card(), lang === "en" ? "New webhook URL" : "Новый webhook URL")!.fire("click");
    await until("the new webhook URL", () => webhookUrl() !== before);
    expect(link().href).toBe(`https://bridge.example/docs?lang=${lang}#url=${encodeURIComponent(webhookUrl())}`);
  });
});
