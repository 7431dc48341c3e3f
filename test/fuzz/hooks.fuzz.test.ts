import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createChannel } from "../../app/core/channels.js";
import { junkSegment, requestsFor } from "./arbitraries.js";
import { FuzzApp, fuzzRoute, STARTUP_MS } from "./harness.js";

const PROVIDERS = ["wappi", "greenapi", "wahelp", "devino", "wamm", "telegram", "whatsapp-cloud", "gateway", "waha", "evolution"];
const HOOK_FIELDS = ["update_id", "message", "entry", "object", "messages", "typeWebhook", "instanceData", "event", "data", "status", "id", "hub.mode", "hub.verify_token", "hub.challenge"];
const GATEWAY_FIELDS = ["id", "status", "reason", "from", "text", "name", "time", "battery", "charging", "app_version"];

/**
 * Provider hooks and the phone gateway. A foreign secret must get nowhere. A valid secret with a
 * body the provider cannot parse is answered 200 and kept in webhook_quarantine (by design, so
 * the provider stops redelivering: api/hooks/receive.ts), so that table may change there; a
 * provider that signs its hooks (Telegram's secret header, Meta's X-Hub-Signature-256) refuses
 * the forged signature first.
 */
describe("fuzz: provider hooks /hooks/:provider/:secret and the phone gateway", () => {
  const fuzz = new FuzzApp();
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    await fuzz.start();
    const make = async (provider: string, credentials: unknown) => {
      const { hookSecret } = await createChannel(fuzz.t.db, fuzz.deps.keyring, { portalId: null, provider, name: `fuzz ${provider}`, credentials });
      secrets[provider] = hookSecret;
    };
    await make("wappi", { apiToken: "fuzz-token", profileId: "fuzz-profile", apiUrl: "http://127.0.0.1:9" });
    await make("telegram", { botToken: `123456789:${"A".repeat(35)}`, apiUrl: "http://127.0.0.1:9" });
    await make("whatsapp-cloud", { accessToken: "E".repeat(40), phoneNumberId: "1234567890", wabaId: "9876543210", appSecret: "f".repeat(32), apiUrl: "http://127.0.0.1:9" });
    await make("gateway", {});
  }, STARTUP_MS);
  afterAll(() => fuzz.close());

  it("GET and POST with unknown secrets, unknown providers and path tricks", async () => {
    const path = fc
      .tuple(fc.oneof(fc.constantFrom(...PROVIDERS), junkSegment), fc.oneof(junkSegment, fc.constant(secrets.gateway!)))
      .map(([p, s]) => `/hooks/${p}/${s}`);
    await fuzzRoute({ name: "hooks forged", app: fuzz, forged: true, requests: requestsFor({ methods: ["GET", "POST", "PUT"], path, fields: HOOK_FIELDS }) });
  });

  it("a valid Telegram secret with a forged X-Telegram-Bot-Api-Secret-Token", async () => {
    await fuzzRoute({
      name: "hooks telegram forged header",
      app: fuzz,
      forged: true,
      requests: requestsFor({ methods: ["POST"], path: fc.constant(`/hooks/telegram/${secrets.telegram}`), fields: HOOK_FIELDS }),
    });
  });

  // a body that is not JSON is quarantined before the signature is checked, on purpose
  // (whatsapp-cloud/webhook.ts: past the path secret it can only be misdirected or forged); a
  // JSON body with a forged X-Hub-Signature-256 is refused
  it("a valid Cloud API secret with a forged X-Hub-Signature-256", async () => {
    await fuzzRoute({
      name: "hooks whatsapp-cloud forged signature",
      app: fuzz,
      forged: false,
      expect: { mayWrite: ["webhook_quarantine"] },
      requests: requestsFor({ methods: ["POST"], path: fc.constant(`/hooks/whatsapp-cloud/${secrets["whatsapp-cloud"]}`), fields: HOOK_FIELDS }),
    });
  });

  it("the Cloud API's GET handshake with a wrong verify token", async () => {
    await fuzzRoute({
      name: "hooks whatsapp-cloud GET",
      app: fuzz,
      forged: true,
      expect: { plainText: true },
      requests: requestsFor({ methods: ["GET"], path: fc.constant(`/hooks/whatsapp-cloud/${secrets["whatsapp-cloud"]}`), fields: HOOK_FIELDS, fixedQuery: "hub.mode=subscribe&hub.verify_token=forged" }),
    });
  });

  it("a valid secret with malformed bodies: quarantined or refused, nothing else stored", async () => {
    await fuzzRoute({
      name: "hooks wappi valid secret",
      app: fuzz,
      forged: false,
      expect: { mayWrite: ["webhook_quarantine"] },
      requests: requestsFor({ methods: ["GET", "POST"], path: fc.constant(`/hooks/wappi/${secrets.wappi}`), fields: HOOK_FIELDS }),
    });
  });

  it("gateway routes with unknown tokens and path tricks", async () => {
    const path = fc
      .tuple(fc.oneof(junkSegment, fc.constant(secrets.wappi!)), fc.constantFrom("next", "result", "incoming", "heartbeat", "NEXT", "%6eext"))
      .map(([t, m]) => `/gateway/${t}/${m}`);
    await fuzzRoute({ name: "gateway forged", app: fuzz, forged: true, requests: requestsFor({ methods: ["GET", "POST"], path, fields: GATEWAY_FIELDS }) });
  });

  // `next` takes no parameters (every call with a valid token is a valid poll), so only the
  // three that take some are fuzzed with the valid token, each with one parameter kept invalid
  for (const [method, poison] of [["result", "id=not-a-uuid"], ["incoming", "time=yesterday"], ["heartbeat", "battery=101"]] as const) {
    it(`gateway ${method} with the valid token and malformed parameters`, async () => {
      const key = poison.split("=")[0]!;
      await fuzzRoute({
        name: `gateway ${method} valid token`,
        app: fuzz,
        forged: true,
        requests: requestsFor({
          methods: ["GET", "POST"],
          path: fc.constant(`/gateway/${secrets.gateway}/${method}`),
          fields: GATEWAY_FIELDS.filter((f) => f !== key),
          fixedQuery: poison,
        }),
      });
    });
  }
});
