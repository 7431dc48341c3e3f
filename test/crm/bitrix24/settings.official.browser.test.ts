import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { browserSuitesRun } from "../../support/chromium.js";
import { decodePng, inkStats } from "../../support/png.js";
import { OfficialHarness } from "./official-harness.js";
import { useSettingsBrowser } from "./settings-browser.js";

/**
 * The official channels' cards in the real settings page (headless Chromium): the bot's
 * @username and t.me link, the Cloud API number with its quality and verify token, and the
 * templates list read through the admin API when the admin opens it.
 */
describe.skipIf(!browserSuitesRun())("Bitrix24 settings page: Telegram bot and WhatsApp Cloud API cards in headless Chromium", () => {
  const h = new OfficialHarness("pglite");
  const rig = useSettingsBrowser(h);

  it("a Cloud API card shows the number, quality and verify token; Templates lists them with status and value counts", async () => {
    const b = await h.officialChannel("whatsapp-cloud", "Meta number");
    const { page, app, problems } = await rig.open(b.portal);
    const card = app.locator("article.cb-card", { hasText: "Meta number" });
    await card.waitFor({ state: "visible" });
    expect(await card.textContent()).toContain("+1 555-555-5555 · Jaspers Market · quality: GREEN");
    const urls = await card.locator("input.cb-url").evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
    expect(urls).toContain(b.view.hook_verify_token);

    await card.getByRole("button", { name: "Templates" }).click();
    const list = card.locator("ul.cb-templates li");
    await list.first().waitFor({ state: "visible" });
    const items = await list.allTextContents();
    expect(items.some((t) => t.includes("hello_world") && t.includes("APPROVED"))).toBe(true);
    expect(await card.getByRole("status").textContent()).toMatch(/^\d+ templates\.$/);

    const shot = await page.screenshot({ fullPage: true });
    if (process.env.SCREENSHOT_DIR) writeFileSync(`${process.env.SCREENSHOT_DIR}/settings-cloud-api.png`, shot);
    expect(inkStats(decodePng(shot)).dark).toBeGreaterThan(0.005);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a Telegram card shows the bot's @username and a t.me link, and no templates button", async () => {
    const b = await h.officialChannel("telegram", "Bot");
    const { page, app, problems } = await rig.open(b.portal);
    const card = app.locator("article.cb-card", { hasText: "Bot" });
    await card.waitFor({ state: "visible" });
    expect(await card.textContent()).toContain("@chatbridge_demo_bot");
    expect(await card.locator('a[href="https://t.me/chatbridge_demo_bot"]').count()).toBe(1);
    expect(await card.getByRole("button", { name: "Templates" }).count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });
});
