import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { ROBOT_CODES } from "../../app/crm/bitrix24/automation/robot-definitions.js";
import { tokenContext } from "../../app/crm/bitrix24/portal-auth.js";
import { portals } from "../../app/db/schema.js";
import { junkSegment, requestsFor } from "./arbitraries.js";
import { FuzzApp, fuzzRoute, STARTUP_MS } from "./harness.js";

const MEMBER_ID = "fuzz0000000000000000000000000001";
const APP_TOKEN = "fuzzapptoken0000000000000000abcd";
const FIELDS = ["event", "auth", "auth[member_id]", "auth[application_token]", "auth[domain]", "data", "data[MESSAGES]", "AUTH_ID", "REFRESH_ID", "member_id", "DOMAIN", "PLACEMENT", "PLACEMENT_OPTIONS", "properties", "event_token", "document_id", "code", "message_to", "message_body"];
const ROBOTS = Object.values(ROBOT_CODES).flatMap((c) => [c.robot, c.activity]);
const FORM = "application/x-www-form-urlencoded";

/** `auth[...]` as Bitrix24 sends it, forged: unknown members, wrong tokens, the right member with a wrong token. */
const forgedAuth = fc
  .record({
    member: fc.oneof(fc.constant(MEMBER_ID), junkSegment, fc.constant("")),
    token: fc.oneof(junkSegment, fc.constant(APP_TOKEN.toUpperCase()), fc.constant(`${APP_TOKEN} `), fc.constant("")),
  })
  .map(({ member, token }) => `auth[member_id]=${encodeURIComponent(member)}&auth[application_token]=${encodeURIComponent(token)}&auth[domain]=fuzz.bitrix24.ru`);

/**
 * Bitrix24 handlers: form-encoded PHP bracket bodies authenticated by auth[application_token].
 * Forged auth rides in the query (the handlers read the body: so it is ignored) and, for the
 * event, robot and SMS handlers, in a prefix of the body as well, which the generated body
 * then extends or replaces.
 */
describe("fuzz: Bitrix24 handlers /b24/*", () => {
  const fuzz = new FuzzApp();

  beforeAll(async () => {
    await fuzz.start();
    await fuzz.t.db.insert(portals).values({
      crm: "bitrix24",
      externalId: MEMBER_ID,
      domain: "fuzz.bitrix24.ru",
      applicationTokenEnc: await fuzz.deps.keyring.encrypt(APP_TOKEN, tokenContext(MEMBER_ID, "application")),
    });
  }, STARTUP_MS);
  afterAll(() => fuzz.close());

  const withAuthPrefix = (auth: fc.Arbitrary<string>, path: string, methods: readonly string[] = ["POST"]) =>
    fc.tuple(auth, requestsFor({ methods, path: fc.constant(path), fields: FIELDS })).map(([prefix, req]) => {
      if (typeof req.body !== "string" || !(req.headers["content-type"] ?? "").startsWith(FORM)) return req;
      return { ...req, body: `${prefix}&${req.body}` };
    });

  it("install: API-only and page variants with forged auth and malformed forms", async () => {
    await fuzzRoute({ name: "b24 install", app: fuzz, forged: true, expect: { html: true }, requests: withAuthPrefix(forgedAuth, "/b24/install", ["POST", "GET"]) });
  });

  it("events: forged application_token, unknown members", async () => {
    await fuzzRoute({ name: "b24 events forged", app: fuzz, forged: true, requests: withAuthPrefix(forgedAuth, "/b24/events") });
  });

  // a valid token with events that must change nothing: unknown names and malformed connector
  // events (ONAPPINSTALL/ONAPPUNINSTALL with a valid token are valid calls, so they are left out)
  it("events: a valid application_token with malformed events", async () => {
    const valid = fc
      .constantFrom("ONIMCONNECTORMESSAGEADD", "ONIMCONNECTORMESSAGEUPDATE", "ONIMCONNECTORMESSAGEDELETE", "ONIMCONNECTORLINEDELETE", "ONIMCONNECTORSTATUSDELETE", "ONCRMLEADADD", "%00", "")
      .map((e) => `event=${e}&auth[member_id]=${MEMBER_ID}&auth[application_token]=${APP_TOKEN}`);
    await fuzzRoute({ name: "b24 events valid token", app: fuzz, forged: false, requests: withAuthPrefix(valid, "/b24/events") });
  });

  it("robots and activities: forged auth, unknown codes, path tricks", async () => {
    const path = fc.oneof(fc.constantFrom(...ROBOTS), junkSegment).map((code) => `/b24/robots/${code}`);
    const requests = fc.tuple(forgedAuth, path, requestsFor({ methods: ["POST"], path, fields: FIELDS })).map(([prefix, p, req]) => ({
      ...req,
      path: p,
      body: typeof req.body === "string" && (req.headers["content-type"] ?? "").startsWith(FORM) ? `${prefix}&${req.body}` : req.body,
    }));
    await fuzzRoute({ name: "b24 robots forged", app: fuzz, forged: true, requests });
  });

  it("robots: a valid application_token with a code that is not ours", async () => {
    const valid = fc.constant(`auth[member_id]=${MEMBER_ID}&auth[application_token]=${APP_TOKEN}`);
    await fuzzRoute({ name: "b24 robots unknown code", app: fuzz, forged: true, requests: withAuthPrefix(valid, "/b24/robots/chatbridge_nope") });
  });

  // a valid token on our own robot codes and the SMS sender: malformed properties and recipients
  // must be refused before any message or call. An authenticated run the process waits for is
  // answered through a reply job even when refused (robot-run.ts: bizproc.event.send tells the
  // process it failed instead of leaving it waiting), so outbox_jobs may get that one row.
  it("robots and SMS sender: a valid application_token with malformed properties", async () => {
    const valid = fc.constant(`auth[member_id]=${MEMBER_ID}&auth[application_token]=${APP_TOKEN}`);
    const requests = fc.oneof(...[...ROBOTS.map((code) => `/b24/robots/${code}`), "/b24/sms"].map((path) => withAuthPrefix(valid, path)));
    await fuzzRoute({ name: "b24 robots and sms valid token", app: fuzz, forged: false, expect: { mayWrite: ["outbox_jobs"] }, requests });
  });

  it("SMS sender: forged auth and malformed forms", async () => {
    await fuzzRoute({ name: "b24 sms forged", app: fuzz, forged: true, requests: withAuthPrefix(forgedAuth, "/b24/sms") });
  });

  // the settings frames prove the user by calling the portal with AUTH_ID: only members we do
  // not know are fuzzed here (for a known member that call is the verification itself)
  for (const path of ["/b24/app", "/b24/placement/connector"]) {
    it(`settings frame ${path}: unknown portals, forged AUTH_ID, malformed placement options`, async () => {
      const frame = fc
        .record({ member: junkSegment, auth: junkSegment })
        .map(({ member, auth }) => `member_id=${encodeURIComponent(member)}&AUTH_ID=${encodeURIComponent(auth)}&DOMAIN=fuzz.bitrix24.ru&PLACEMENT_OPTIONS=%7B%22LINE%22%3A`);
      await fuzzRoute({ name: `b24 settings ${path}`, app: fuzz, forged: true, expect: { html: true }, requests: withAuthPrefix(frame, path) });
    });
  }
});
