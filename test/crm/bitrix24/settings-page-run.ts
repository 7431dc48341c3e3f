import { SETTINGS_PAGE_SCRIPT } from "../../../app/crm/bitrix24/settings/page-script.js";
import type { AdminHarness } from "../../api/admin/harness.js";
import { type FakeElement, fakeDocument, ManualTimers } from "./fake-settings-dom.js";
import type { InstalledPortal } from "./harness.js";

const BOOT_BLOCK = /<script type="application\/json" id="cb-boot">([\s\S]*?)<\/script>/;

/** Which frame the portal opens and in which language (Bitrix24's LANG, reference/bitrix24.md 1.2). */
export interface PageFrame {
  path: string;
  body?: Record<string, string>;
  lang?: string;
}

/**
 * Opens the frame as Bitrix24 would and runs the page's real script on the fake DOM
 * (fake-settings-dom.ts) against the real API, so the wiring between the page and the admin API
 * is exercised.
 */
export async function openPage(h: AdminHarness, portal: InstalledPortal, frame: PageFrame = { path: "/b24/app" }) {
  const qs = new URLSearchParams({ DOMAIN: h.fake.host, PROTOCOL: "0", LANG: frame.lang ?? "en" });
  const res = await h.postForm(`${frame.path}?${qs}`, { AUTH_ID: h.fake.issueUserToken({ ID: "7", ADMIN: true }), member_id: portal.memberId, ...frame.body });
  const dom = fakeDocument(BOOT_BLOCK.exec(await res.text())![1]!);
  const confirms: string[] = [];
  const timers = new ManualTimers();
  const window = { confirm: (text: string) => (confirms.push(text), true), crypto: globalThis.crypto };
  // what the page asked of the API, in order, so a test can check the very body it sent
  const requests: Array<{ method: string; path: string; body: unknown }> = [];
  const fetch = (url: URL, init: RequestInit) => {
    requests.push({ method: init.method ?? "GET", path: url.pathname + url.search, body: typeof init.body === "string" ? JSON.parse(init.body) : undefined });
    return h.app.request(url.pathname + url.search, init);
  };
  const location = { href: `https://bridge.example${frame.path}?${qs}` };
  new Function("document", "window", "location", "fetch", "navigator", "setTimeout", "clearTimeout", SETTINGS_PAGE_SCRIPT)(
    dom.document, window, location, fetch, {}, timers.setTimeout, timers.clearTimeout,
  );
  return { ...dom, confirms, timers, requests };
}

export const tagged = (root: FakeElement, tag: string) => root.descendants().filter((n) => n.tagName === tag);
export const buttonIn = (root: FakeElement, label: string) => tagged(root, "button").find((n) => n.textContent === label);

/** Polls until the page script's async work shows; the API answers in process, so this is a few ticks. */
export async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
