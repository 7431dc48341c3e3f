import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AdminHarness } from "../../api/admin/harness.js";
import { SelfHostedFakes } from "../../api/admin/self-hosted-fakes.js";
import { WAHA_SESSION } from "../../providers/waha/fake.js";
import { backends } from "../../support/db.js";
import type { FakeElement } from "./fake-settings-dom.js";
import { buttonIn, openPage, tagged, until } from "./settings-page-run.js";

/**
 * The settings page's "Log in with phone number" on the fake DOM against the real admin API and
 * the WAHA / Evolution fakes: offered only where the provider logs in by pairing code and the
 * channel is not connected; the code shown large with where to type it; errors beside the card.
 */
describe.each(await backends())("settings page: pairing-code login (%s)", (backend) => {
  const h = new AdminHarness(backend);
  const fakes = new SelfHostedFakes();
  beforeAll(async () => {
    await h.start();
    await fakes.start();
  });
  afterAll(async () => {
    await fakes.close();
    await h.close();
  });
  beforeEach(() => fakes.reset());

  const cardOf = (list: FakeElement, name: string) => tagged(list, "article").find((a) => a.descendants().some((n) => n.tagName === "strong" && n.textContent === name))!;
  const pairingOf = (card: FakeElement) => card.querySelectorAll("[data-pairing]")[0];
  const noteOf = (card: FakeElement) => card.querySelectorAll("[data-note]")[0]!;
  /** the cards come with the page; what a provider can do is known once /api/providers answered */
  const ready = (byId: (id: string) => FakeElement | undefined, cards: number) =>
    until("the cards with their providers", () => byId("cb-provider") !== undefined && tagged(byId("cb-channels")!, "article").length === cards);

  it("a logged-out WAHA channel gets the form; a bad number shows the API's error, a good one the code and the instruction; other channels have no form", async () => {
    const { portal, token } = await h.adminPortal();
    fakes.waitForLogin("waha");
    await fakes.apiChannel(h, token, "waha", "WAHA line");
    await fakes.apiChannel(h, token, "evolution", "Evolution line");
    await h.apiChannel(token, "Wappi line");
    const { byId } = await openPage(h, portal);
    const list = byId("cb-channels")!;
    await ready(byId, 3);

    // Evolution's instance is logged in, Wappi has no pairing login: no form on either
    expect(pairingOf(cardOf(list, "Evolution line"))).toBeUndefined();
    expect(pairingOf(cardOf(list, "Wappi line"))).toBeUndefined();
    const waha = () => cardOf(list, "WAHA line");
    expect(pairingOf(waha())!.textContent).toContain("Log in with phone number");
    const phone = () => tagged(pairingOf(waha())!, "input")[0]!;
    expect(phone().type).toBe("tel");
    expect(phone().getAttribute("aria-label")).toBe("Phone number of the WhatsApp account to log in");

    phone().value = "+7 900";
    phone().fire("input");
    buttonIn(pairingOf(waha())!, "Get a code")!.fire("click");
    await until("the phone error", () => noteOf(waha()).className === "cb-status cb-status-error");
    expect(noteOf(waha()).textContent).toMatch(/^phone: /);
    expect(tagged(waha(), "output")).toHaveLength(0);

    phone().value = "+7 900 123-45-67";
    phone().fire("input");
    buttonIn(pairingOf(waha())!, "Get a code")!.fire("click");
    await until("the code", () => tagged(waha(), "output").length === 1);
    const code = tagged(waha(), "output")[0]!;
    expect(code.textContent).toBe("ABCD-ABCD");
    expect(code.className).toBe("cb-pairing-code");
    const instruction = "On the phone open WhatsApp → Linked devices → Link a device → Link with phone number instead, and type this code.";
    expect(pairingOf(waha())!.textContent).toContain(instruction);
    expect(noteOf(waha()).textContent).toBe(instruction);
    // the typed number survives the re-render and reached WAHA in international form
    expect(phone().value).toBe("+7 900 123-45-67");
    expect(JSON.parse(fakes.waha.requests.at(-1)!.body)).toEqual({ phoneNumber: "79001234567" });
    expect(fakes.waha.violations).toEqual([]);
  });

  it("asking once the phone has logged in says so instead of a code", async () => {
    const { portal, token } = await h.adminPortal();
    fakes.waitForLogin("evolution");
    await fakes.apiChannel(h, token, "evolution", "Evolution line");
    const { byId } = await openPage(h, portal);
    const list = byId("cb-channels")!;
    await ready(byId, 1);
    const card = () => cardOf(list, "Evolution line");
    expect(pairingOf(card())).toBeDefined();

    fakes.evolutionWorld.instances.get("crm-1")!.state = "open";
    tagged(pairingOf(card())!, "input")[0]!.value = "79001234567";
    buttonIn(pairingOf(card())!, "Get a code")!.fire("click");
    await until("the logged-in note", () => noteOf(card()).textContent === "The channel is logged in: no code is needed.");
    expect(tagged(card(), "output")).toHaveLength(0);
  });

  it("Russian texts on a Russian portal", async () => {
    const { portal, token } = await h.adminPortal();
    fakes.waitForLogin("waha");
    await fakes.apiChannel(h, token, "waha", "WAHA");
    const { byId } = await openPage(h, portal, { path: "/b24/app", lang: "ru" });
    const list = byId("cb-channels")!;
    await ready(byId, 1);
    const block = pairingOf(tagged(list, "article")[0]!)!;
    expect(block.textContent).toContain("Вход по номеру телефона");
    expect(buttonIn(block, "Получить код")).toBeDefined();
    expect(fakes.wahaState.sessions.get(WAHA_SESSION)!.status).toBe("SCAN_QR_CODE");
  });
});
