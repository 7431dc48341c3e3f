import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { hmacSha1Hex } from "../../app/crm/amocrm/amojo/sign.js";
import { junkSegment, requestsFor, type FuzzRequest } from "./arbitraries.js";
import { FuzzApp, fuzzRoute, STARTUP_MS } from "./harness.js";

const CHANNEL_ID = "f0f0f0f0-0000-4000-8000-00000000fuzz";
const CHANNEL_SECRET = "fuzz-amojo-channel-secret-0123456789";
const CONFIG = {
  AMOCRM_CLIENT_ID: "11111111-2222-4333-8444-555555555555",
  AMOCRM_CLIENT_SECRET: "fuzz-client-secret-0123456789abcdef0123456789abcdef",
  AMOCRM_REDIRECT_URI: "https://chatbridge.example/amocrm/oauth",
  AMOCRM_CHAT_CHANNEL_ID: CHANNEL_ID,
  AMOCRM_CHAT_CHANNEL_SECRET: CHANNEL_SECRET,
};
const QUERY_FIELDS = ["code", "state", "referer", "client_id", "from_widget", "platform", "account_id", "client_uuid", "signature", "error"];
const BODY_FIELDS = ["token", "data", "return_url", "event", "action", "account_id", "message", "conversation", "receiver", "sender", "time", "settings", "phone", "text"];

describe("fuzz: amoCRM routes /amocrm/*", () => {
  const fuzz = new FuzzApp();
  beforeAll(() => fuzz.start(CONFIG), STARTUP_MS);
  afterAll(() => fuzz.close());

  it("OAuth redirect and install: forged state, codes and referers", async () => {
    const requests = requestsFor({ methods: ["GET"], path: fc.constant("/amocrm/oauth"), fields: QUERY_FIELDS });
    const withState = fc.tuple(requests, fc.oneof(junkSegment, fc.constant("")), junkSegment).map(([req, state, code]): FuzzRequest => {
      const sep = req.path.includes("?") ? "&" : "?";
      return { ...req, path: `${req.path}${sep}state=${encodeURIComponent(state)}&code=${encodeURIComponent(code)}&referer=evil.example` };
    });
    await fuzzRoute({ name: "amocrm oauth", app: fuzz, forged: true, expect: { html: true }, requests: fc.oneof(requests, withState) });
  });

  // /amocrm/install needs no credentials (it sends the browser to amoCRM's consent page)
  it("install redirect: junk queries and verbs", async () => {
    const requests = requestsFor({ methods: ["GET", "POST"], path: fc.constant("/amocrm/install"), fields: QUERY_FIELDS });
    await fuzzRoute({ name: "amocrm install", app: fuzz, forged: false, requests });
  });

  it("disconnect hook: forged signatures", async () => {
    const sig = fc.record({ account: fc.stringMatching(/^\d{1,20}$/), sig: fc.stringMatching(/^[0-9a-f]{64}$/) });
    const requests = fc.tuple(requestsFor({ methods: ["GET", "POST"], path: fc.constant("/amocrm/disconnect"), fields: QUERY_FIELDS }), sig).map(([req, s]) => ({
      ...req,
      path: `${req.path}${req.path.includes("?") ? "&" : "?"}account_id=${s.account}&client_uuid=${CONFIG.AMOCRM_CLIENT_ID}&signature=${s.sig}`,
    }));
    await fuzzRoute({ name: "amocrm disconnect", app: fuzz, forged: true, requests: fc.oneof(requests, requestsFor({ methods: ["GET"], path: fc.constant("/amocrm/disconnect"), fields: QUERY_FIELDS })) });
  });

  it("amojo hook: forged X-Signature, foreign scopes, path tricks", async () => {
    const path = fc.oneof(junkSegment, junkSegment.map((s) => `${CHANNEL_ID}_${s}`)).map((scope) => `/amocrm/amojo/${scope}`);
    await fuzzRoute({ name: "amojo forged", app: fuzz, forged: true, requests: requestsFor({ methods: ["POST"], path, fields: BODY_FIELDS }) });
  });

  // signed with the channel secret, a hook we cannot parse is answered 200 and kept in
  // webhook_quarantine (amojo never retries: hook-route.ts), so that table may change here
  it("amojo hook: a valid X-Signature over malformed bodies", async () => {
    const path = fc.oneof(fc.uuid().map((a) => `${CHANNEL_ID}_${a}`), junkSegment).map((scope) => `/amocrm/amojo/${scope}`);
    const sign = async (req: FuzzRequest): Promise<FuzzRequest> => {
      const bytes = typeof req.body === "string" ? new TextEncoder().encode(req.body) : (req.body ?? new Uint8Array());
      return { ...req, headers: { ...req.headers, "x-signature": await hmacSha1Hex(CHANNEL_SECRET, new Uint8Array(bytes)) } };
    };
    await fuzzRoute({
      name: "amojo signed",
      app: fuzz,
      forged: false,
      expect: { mayWrite: ["webhook_quarantine"] },
      prepare: sign,
      requests: requestsFor({ methods: ["POST"], path, fields: BODY_FIELDS }),
    });
  });

  for (const path of ["/amocrm/salesbot", "/amocrm/dp"]) {
    it(`${path}: forged and expired widget JWTs, malformed bodies`, async () => {
      const token = fc.oneof(junkSegment, fc.constant("eyJhbGciOiJub25lIn0.eyJhY2NvdW50X2lkIjoxfQ."));
      const requests = fc.tuple(requestsFor({ methods: ["POST"], path: fc.constant(path), fields: BODY_FIELDS }), token).map(([req, t]): FuzzRequest => {
        if (req.headers["content-type"] !== "application/json" || typeof req.body !== "string") return req;
        try {
          const parsed: unknown = JSON.parse(req.body);
          if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return { ...req, body: JSON.stringify({ ...parsed, token: t }) };
        } catch {
          // not JSON: sent as generated
        }
        return req;
      });
      await fuzzRoute({ name: `amocrm ${path}`, app: fuzz, forged: true, requests });
    });
  }
});
