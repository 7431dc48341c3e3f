import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { requestPairingCode, waha } from "../../../app/providers/waha/index.js";
import { ProviderRetryableError } from "../../../app/providers/types.js";
import type { FakeServer } from "../../support/fake-server.js";
import { providerContext, Recorder, serveFake } from "../provider-fake.js";
import { createWahaFake, WAHA_KEY, WAHA_SESSION, WahaState } from "./fake.js";

const failure = (p: Promise<unknown>) => p.then(() => Promise.reject(new Error("expected a failure")), (e: unknown) => e as { code: string });

/** QR and pairing-code login (channels-next.md 3 "Channel = session"). */
describe("waha login", () => {
  const recorder = new Recorder();
  const state = new WahaState();
  let server: FakeServer;
  const ctxWith = () => providerContext(waha, { credentials: { apiUrl: server.url, apiKey: WAHA_KEY, session: WAHA_SESSION }, messenger: "whatsapp" });
  const calls = () => recorder.requests.map((r) => `${r.method} ${r.path}`);
  const session = () => state.sessions.get(WAHA_SESSION)!;

  beforeAll(async () => {
    server = await serveFake((fake) => createWahaFake(fake, state), recorder);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    recorder.reset();
    state.reset();
  });

  it("qr: JSON QR of a session waiting for it", async () => {
    session().status = "SCAN_QR_CODE";
    const qr = await waha.qr!(ctxWith());
    expect(qr?.dataUrl).toMatch(/^data:image\/png;base64,iVBOR/);
    expect(recorder.violations).toEqual([]);
  });

  it("qr: a stopped session is started and the caller asks again", async () => {
    session().status = "STOPPED";
    session().me = null;
    const err = await failure(waha.qr!(ctxWith()));
    expect(err).toBeInstanceOf(ProviderRetryableError);
    expect(calls()).toContain(`POST /api/sessions/${WAHA_SESSION}/start`);
    expect((await waha.qr!(ctxWith()))?.dataUrl).toMatch(/^data:image\/png;base64,/);
  });

  it("qr: a FAILED session (QR codes ran out) is restarted", async () => {
    session().status = "FAILED";
    session().me = null;
    await failure(waha.qr!(ctxWith()));
    expect(calls()).toContain(`POST /api/sessions/${WAHA_SESSION}/restart`);
  });

  it("pairing code: asked for the owner's number while the session waits for a login", async () => {
    session().status = "SCAN_QR_CODE";
    expect(await requestPairingCode(ctxWith(), "79001234567")).toEqual({ code: "ABCD-ABCD" });
    expect(JSON.parse(recorder.requests.at(-1)!.body)).toEqual({ phoneNumber: "79001234567" });
    expect(recorder.violations).toEqual([]);
  });

  it("pairing code: none when logged in, refused for a malformed number, retried while starting", async () => {
    expect(await requestPairingCode(ctxWith(), "79001234567")).toBeNull();
    expect(calls()).not.toContain(`POST /api/${WAHA_SESSION}/auth/request-code`);
    expect((await failure(requestPairingCode(ctxWith(), "+7 900"))).code).toBe("bad_number");
    session().status = "STARTING";
    expect(await failure(requestPairingCode(ctxWith(), "79001234567"))).toBeInstanceOf(ProviderRetryableError);
  });
});
