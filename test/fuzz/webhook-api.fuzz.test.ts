import fc from "fast-check";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createChannel } from "../../app/core/channels.js";
import { createWebhookToken, regenerateWebhookToken } from "../../app/core/webhook-tokens.js";
import { channels } from "../../app/db/schema.js";
import { junkSegment, requestsFor } from "./arbitraries.js";
import { FuzzApp, fuzzRoute, STARTUP_MS } from "./harness.js";

const FIELDS = ["phone_number", "chat_id", "body", "send_to_imol", "request_id", "wait", "file_url", "url", "file_name", "caption", "template", "params", "message_id", "lang"];
const METHODS = ["sendText", "sendFile", "sendTemplate", "sendForm", "checkPhone", "checkStatus", "checkMessageStatus"] as const;

/**
 * With a valid token every request must still be invalid, or it would rightly send: a
 * parameter that fails validation rides in the query, and the body never names it (body
 * parameters override query ones). checkStatus takes no parameters, so every call with a
 * valid token is a valid call that asks the provider: it is fuzzed with foreign tokens only.
 */
const POISON: Partial<Record<(typeof METHODS)[number], string>> = {
  sendText: "wait",
  sendFile: "wait",
  sendTemplate: "wait",
  // sendForm reads its configuration (wait among it) from the query only, whatever the body holds
  sendForm: "wait",
  checkPhone: "phone_number",
  checkMessageStatus: "message_id",
};
const POISON_VALUE: Record<string, string> = { wait: "soon", phone_number: "not-a-phone", message_id: "%00" };

describe("fuzz: public webhook API /rest/webhook/<kind>/<token>/<method>", () => {
  const fuzz = new FuzzApp();
  let token = "";
  let revoked = "";
  let tgToken = "";

  beforeAll(async () => {
    await fuzz.start();
    const made = async (messenger: "whatsapp" | "telegram") => {
      const { channel } = await createChannel(fuzz.t.db, fuzz.deps.keyring, {
        portalId: null,
        provider: "wappi",
        name: `fuzz ${messenger}`,
        messenger,
        credentials: { apiToken: "fuzz-token", profileId: "fuzz-profile", messenger, apiUrl: "http://127.0.0.1:9" },
      });
      await fuzz.t.db.update(channels).set({ state: "connected" }).where(eq(channels.id, channel.id));
      return channel;
    };
    const wa = await made("whatsapp");
    revoked = (await createWebhookToken(fuzz.deps, wa)).token;
    token = (await regenerateWebhookToken(fuzz.deps, wa)).token;
    tgToken = (await createWebhookToken(fuzz.deps, await made("telegram"))).token;
  }, STARTUP_MS);
  afterAll(() => fuzz.close());

  for (const method of METHODS) {
    it(`${method}: unknown, revoked, foreign-kind tokens and path tricks never pass (GET and POST)`, async () => {
      const foreign = fc.oneof(junkSegment, fc.constant(revoked));
      const path = fc.oneof(
        fc.tuple(fc.constantFrom("wa", "tg", "WA", "xx", "%2e%2e"), foreign).map(([k, t]) => `/rest/webhook/${k}/${t}/${method}`),
        fc.constant(`/rest/webhook/tg/${token}/${method}`),
        fc.constant(`/rest/webhook/wa/${tgToken}/${method}`),
        junkSegment.map((s) => `/rest/webhook/wa/${token}/${s}/${method}`),
        junkSegment.map((s) => `/rest/webhook/wa/${s}/..%2f${method}`),
      );
      await fuzzRoute({ name: `webhook ${method} forged`, app: fuzz, forged: true, requests: requestsFor({ methods: ["GET", "POST"], path, fields: FIELDS }) });
    });
  }

  for (const method of METHODS) {
    const poison = POISON[method];
    if (!poison) continue;
    it(`${method}: a valid token with malformed parameters is refused before anything is stored or sent`, async () => {
      await fuzzRoute({
        name: `webhook ${method} valid token`,
        app: fuzz,
        forged: true,
        requests: requestsFor({
          methods: ["GET", "POST"],
          path: fc.constant(`/rest/webhook/wa/${token}/${method}`),
          fields: FIELDS.filter((f) => f !== poison),
          fixedQuery: `${poison}=${POISON_VALUE[poison]}`,
        }),
      });
    });
  }

  it("an unknown method under a valid token, and the other verbs", async () => {
    const path = fc.oneof(junkSegment, fc.constantFrom("SendText", "sendtext", "", "checkStatus/", "openapi.json")).map((m) => `/rest/webhook/wa/${token}/${m}`);
    await fuzzRoute({
      name: "webhook unknown method",
      app: fuzz,
      forged: true,
      requests: requestsFor({ methods: ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"], path, fields: FIELDS }),
    });
  });
});
