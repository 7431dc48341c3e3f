import { describe, expect, it } from "vitest";
import stateClose from "../../../app/providers/evolution/fixtures/connection-state-close.json";
import connectQr from "../../../app/providers/evolution/fixtures/connect-qr.json";
import { evolution, requestPairingCode } from "../../../app/providers/evolution/index.js";
import { ProviderPermanentError, ProviderRetryableError } from "../../../app/providers/types.js";
import { EVOLUTION_INSTANCE } from "./fake.js";
import { evolutionHarness, failure } from "./harness.js";

describe("evolution instance", () => {
  const { recorder, world, ctx: ctxWith, calls, bodies, clean } = evolutionHarness();

  describe("describe: checks the server and key, creates or reuses the instance", () => {
    it("creates a missing instance as WHATSAPP-BAILEYS without starting a QR round", async () => {
      world.instances.clear();
      const described = await evolution.describe!(ctxWith());
      expect(described).toEqual({ state: "qr_required", info: { instance: EVOLUTION_INSTANCE, instance_created: "yes", state: "qr_required" } });
      expect(calls()).toEqual([`GET /instance/fetchInstances?instanceName=${EVOLUTION_INSTANCE}`, "POST /instance/create"]);
      expect(bodies()[1]).toEqual({ instanceName: EVOLUTION_INSTANCE, integration: "WHATSAPP-BAILEYS", qrcode: false });
      expect(world.instances.get(EVOLUTION_INSTANCE)?.state).toBe("close");
      clean();
    });

    it("reuses an existing instance (its login survives) and shows its number and profile", async () => {
      const described = await evolution.describe!(ctxWith());
      expect(described).toEqual({
        state: "connected",
        info: { instance: EVOLUTION_INSTANCE, instance_created: "no", state: "connected", number: "74950000000", profile_name: "Shop" },
      });
      expect(calls()).toEqual([`GET /instance/fetchInstances?instanceName=${EVOLUTION_INSTANCE}`, `GET /instance/connectionState/${EVOLUTION_INSTANCE}`]);
      clean();
    });

    it("a name taken between the lookup and the create (403) is reused, not read as a refused key", async () => {
      // the lookup answers "not found" while the instance exists, as when another process creates it meanwhile
      recorder.answerNext({ status: 404, body: { status: 404, error: "Not Found", response: { message: [`Instance "${EVOLUTION_INSTANCE}" not found`] } } });
      const described = await evolution.describe!(ctxWith());
      expect(described).toMatchObject({ state: "connected", info: { instance_created: "no" } });
      expect(calls()).toEqual([
        `GET /instance/fetchInstances?instanceName=${EVOLUTION_INSTANCE}`,
        "POST /instance/create",
        `GET /instance/connectionState/${EVOLUTION_INSTANCE}`,
      ]);
    });

    it("a refused key is invalid_credentials (the admin API turns it into a field error)", async () => {
      const err = await failure(evolution.describe!(ctxWith({ apiKey: "WRONG" })));
      expect(err).toBeInstanceOf(ProviderPermanentError);
      expect(err.code).toBe("invalid_credentials");
    });

    it("a server that cannot be reached is a retryable network error, not refused credentials", async () => {
      const err = await failure(evolution.describe!(ctxWith({ apiUrl: "http://127.0.0.1:9" })));
      expect(err).toBeInstanceOf(ProviderRetryableError);
    });
  });

  describe("QR and pairing code", () => {
    it("qr starts a login round on a closed instance and gives its data URL", async () => {
      world.instances.set(EVOLUTION_INSTANCE, { state: "close" });
      const qr = await evolution.qr!(ctxWith());
      expect(qr?.dataUrl.startsWith("data:image/png;base64,iVBOR")).toBe(true);
      expect(calls()).toEqual([`GET /instance/connect/${EVOLUTION_INSTANCE}`]);
      clean();
    });

    it("qr creates the instance first when the server has none", async () => {
      world.instances.clear();
      const qr = await evolution.qr!(ctxWith());
      expect(qr).not.toBeNull();
      expect(calls()).toEqual([`GET /instance/connect/${EVOLUTION_INSTANCE}`, "POST /instance/create", `GET /instance/connect/${EVOLUTION_INSTANCE}`]);
    });

    it("qr takes the QR from the `{instance:{status},qrcode}` answer of other states", async () => {
      recorder.answerNext({ status: 200, body: { instance: { instanceName: EVOLUTION_INSTANCE, status: "refused" }, qrcode: connectQr } });
      expect((await evolution.qr!(ctxWith()))?.dataUrl).toBe(connectQr.base64);
    });

    it("status of a logged-out instance is qr_required", async () => {
      recorder.answerNext({ status: 200, body: stateClose });
      expect(await evolution.status(ctxWith())).toEqual({ state: "qr_required", detail: "close" });
    });

    it("qr is null once the instance is open", async () => {
      expect(await evolution.qr!(ctxWith())).toBeNull();
    });

    it("a pairing code for a closed instance: connect with the number", async () => {
      world.instances.set(EVOLUTION_INSTANCE, { state: "close" });
      const code = await requestPairingCode(ctxWith(), "+7 900 123-45-67");
      expect(code).toMatchObject({ pairingCode: "WZYEH1YY", qrDataUrl: expect.stringMatching(/^data:image\/png;base64,/) });
      expect(calls()).toEqual([`GET /instance/connect/${EVOLUTION_INSTANCE}?number=79001234567`]);
      clean();
    });

    it("an instance already showing a QR without a code is logged out, then connected with the number", async () => {
      world.instances.set(EVOLUTION_INSTANCE, { state: "connecting" });
      const code = await requestPairingCode(ctxWith(), "79001234567");
      expect(code?.pairingCode).toBe("WZYEH1YY");
      expect(calls()).toEqual([
        `GET /instance/connect/${EVOLUTION_INSTANCE}?number=79001234567`,
        `DELETE /instance/logout/${EVOLUTION_INSTANCE}`,
        `GET /instance/connect/${EVOLUTION_INSTANCE}?number=79001234567`,
      ]);
      clean();
    });

    it("no pairing code for an open instance (never logged out), and none for a bad number", async () => {
      expect(await requestPairingCode(ctxWith(), "79001234567")).toBeNull();
      expect(calls()).toEqual([`GET /instance/connect/${EVOLUTION_INSTANCE}?number=79001234567`]);
      const err = await failure(requestPairingCode(ctxWith(), "12"));
      expect(err.code).toBe("bad_number");
    });

    it("a code not there yet (requested asynchronously by the server) is a retryable error", async () => {
      world.instances.set(EVOLUTION_INSTANCE, { state: "close" });
      recorder.answerNext({ status: 200, body: { pairingCode: null, code: null, base64: null, count: 0 } });
      const err = await failure(requestPairingCode(ctxWith(), "79001234567"));
      expect(err).toBeInstanceOf(ProviderRetryableError);
      expect(err.code).toBe("not_connected");
    });
  });

});
