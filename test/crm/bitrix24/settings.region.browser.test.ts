import { describe, expect, it } from "vitest";
import { AdminHarness } from "../../api/admin/harness.js";
import { browserSuitesRun } from "../../support/chromium.js";
import { useSettingsBrowser } from "./settings-browser.js";

describe.skipIf(!browserSuitesRun())("Bitrix24 settings page in headless Chromium: the phone region and the docs links", () => {
  const h = new AdminHarness("pglite");
  const rig = useSettingsBrowser(h);

  it("the region select shows RU with the explanation; Belarus is saved with PATCH /api/portal and shown after a reload", async () => {
    const { portal, token } = await h.adminPortal();
    const { page, app, problems } = await rig.open(portal);
    const select = app.getByLabel("Country of phone numbers");
    await select.waitFor();
    expect(await select.inputValue()).toBe("RU");
    expect(await select.locator("option[value=BY]").textContent()).toBe("Belarus (BY)");
    expect(await app.locator("#cb-region").textContent()).toContain("Numbers typed without country code are read as this country's");
    expect(await app.locator("#cb-region-other").isVisible()).toBe(false);

    await select.selectOption("BY");
    await app.locator("#cb-region").getByRole("button", { name: "Save" }).click();
    await expect.poll(() => app.locator("#cb-region-status").textContent()).toBe("Saved: numbers without country code are read as Belarus (BY).");
    expect((await h.call("GET", "/api/portal", token)).body.portal).toMatchObject({ region: "BY", region_is_default: false });

    // "other" shows the code field
    await app.getByLabel("Country of phone numbers").selectOption("other");
    expect(await app.getByLabel("Two-letter ISO country code, e.g. PL").isVisible()).toBe(true);
    expect(problems).toEqual([]);
    await page.close();

    const again = await rig.open(portal);
    await again.app.getByLabel("Country of phone numbers").waitFor();
    expect(await again.app.getByLabel("Country of phone numbers").inputValue()).toBe("BY");
    expect(again.problems).toEqual([]);
    await again.page.close();
  });

  it("each channel's card has a Documentation link to <PUBLIC_URL>/docs?lang=en#url=<its webhook URL, encoded>", async () => {
    const { portal, token } = await h.adminPortal();
    await h.apiChannel(token, "Sales WhatsApp");
    const { page, app, problems } = await rig.open(portal);
    const card = app.locator("article.cb-card", { hasText: "Sales WhatsApp" });
    const webhookUrl = await card.locator("input.cb-url").first().inputValue();
    const link = card.getByRole("link", { name: "Documentation" });
    expect(await link.getAttribute("href")).toBe(`https://bridge.example/docs?lang=en#url=${encodeURIComponent(webhookUrl)}`);
    expect(await link.getAttribute("target")).toBe("_blank");
    expect(problems).toEqual([]);
    await page.close();
  });
});
