import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { issueAdminSession } from "../../app/core/admin-session.js";
import { createChannel } from "../../app/core/channels.js";
import { portals } from "../../app/db/schema.js";
import { junkSegment, requestsFor } from "./arbitraries.js";
import { FuzzApp, fuzzRoute, STARTUP_MS } from "./harness.js";

const FIELDS = ["provider", "name", "credentials", "messenger", "line", "phone", "text", "DOMAIN", "member_id", "AUTH_ID", "token", "channel", "status", "apiToken", "profileId"];
const ID_ROUTES = ["", "/qr", "/templates", "/templates/sync", "/bind", "/webhook-token", "/test"];
const METHODS = ["GET", "POST", "PATCH", "DELETE", "PUT", "OPTIONS"];

/**
 * The admin API: every route but /api/session wants a bearer session of the portal that owns
 * what it touches. Forged (JWT-shaped, random, empty), expired and foreign sessions must get
 * nowhere; a valid session with malformed bodies or ids must change nothing.
 */
describe("fuzz: admin API /api/*", () => {
  const fuzz = new FuzzApp();
  let ownChannel = "";
  let foreignToken = "";
  let expiredToken = "";
  let validToken = "";

  beforeAll(async () => {
    await fuzz.start();
    const portal = async (externalId: string) => {
      const [row] = await fuzz.t.db.insert(portals).values({ crm: "bitrix24", externalId, domain: `${externalId}.bitrix24.ru` }).returning({ id: portals.id });
      return row!.id;
    };
    const a = await portal("fuzz-admin-a");
    const b = await portal("fuzz-admin-b");
    const { channel } = await createChannel(fuzz.t.db, fuzz.deps.keyring, {
      portalId: a,
      provider: "wappi",
      name: "fuzz",
      credentials: { apiToken: "fuzz-token", profileId: "fuzz-profile", apiUrl: "http://127.0.0.1:9" },
    });
    ownChannel = channel.id;
    foreignToken = (await issueAdminSession(fuzz.t.db, { portalId: b, userId: "1" }, new Date())).token;
    expiredToken = (await issueAdminSession(fuzz.t.db, { portalId: a, userId: "1" }, new Date(Date.now() - 7 * 86400_000))).token;
    validToken = (await issueAdminSession(fuzz.t.db, { portalId: b, userId: "1" }, new Date())).token;
  }, STARTUP_MS);
  afterAll(() => fuzz.close());

  const adminPaths = () =>
    fc.oneof(
      fc.constantFrom("/api/channels", "/api/messages", "/api/providers", "/api/amocrm/dp-secret", "/api/jobs/x/retry"),
      fc.tuple(fc.oneof(fc.constant(ownChannel), junkSegment), fc.constantFrom(...ID_ROUTES)).map(([id, r]) => `/api/channels/${id}${r}`),
      junkSegment.map((id) => `/api/jobs/${id}/retry`),
    );

  it("every route with forged, missing, expired and foreign bearer sessions", async () => {
    const bearer = fc.oneof(
      fc.constant({}),
      fc.constantFrom(expiredToken, foreignToken).map((t) => ({ authorization: `Bearer ${t}` })),
      fc.constantFrom(`bearer ${expiredToken}`, `Bearer  ${expiredToken}`, `Token ${foreignToken}`).map((h) => ({ authorization: h })),
    );
    // the foreign session is valid for portal B, so only paths naming portal A's channel must fail with it
    const requests = requestsFor({ methods: METHODS, path: adminPaths(), fields: FIELDS, headers: bearer });
    const foreignOnOwn = requestsFor({
      methods: METHODS,
      path: fc.constantFrom(...ID_ROUTES).map((r) => `/api/channels/${ownChannel}${r}`),
      fields: FIELDS,
      headers: fc.constant({ authorization: `Bearer ${foreignToken}` }),
    });
    const forged = requestsFor({ methods: METHODS, path: adminPaths(), fields: FIELDS });
    const only = (r: fc.Arbitrary<import("./arbitraries.js").FuzzRequest>) =>
      r.filter((req) => req.headers.authorization !== `Bearer ${foreignToken}` || req.path.includes(ownChannel));
    await fuzzRoute({ name: "admin forged sessions", app: fuzz, forged: true, requests: fc.oneof(only(requests), foreignOnOwn, forged) });
  });

  it("a valid session with malformed bodies, unknown ids and junk filters", async () => {
    const path = fc.oneof(
      fc.constant("/api/channels"),
      fc.tuple(junkSegment, fc.constantFrom(...ID_ROUTES)).map(([id, r]) => `/api/channels/${id}${r}`),
      junkSegment.map((id) => `/api/jobs/${id}/retry`),
      fc.constant("/api/messages"),
    );
    const requests = requestsFor({ methods: ["POST", "PATCH", "DELETE", "GET"], path, fields: FIELDS, headers: fc.constant({ authorization: `Bearer ${validToken}` }) })
      // GET /api/channels with a valid session is a valid call (a list): only writes go to it
      .filter((r) => !(r.method === "GET" && r.path.split("?")[0] === "/api/channels"));
    await fuzzRoute({ name: "admin valid session", app: fuzz, forged: false, requests });
  });

  it("POST /api/session: forged Bitrix24 frames and amoCRM widget tokens", async () => {
    const requests = requestsFor({ methods: ["POST", "GET"], path: fc.constantFrom("/api/session", "/api/session/", "/api//session"), fields: FIELDS });
    await fuzzRoute({ name: "admin session", app: fuzz, forged: true, requests });
  });
});
