import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { describeProblem } from "../../../app/crm/amocrm/client.js";
import { AmoCrmError, AmoCrmRetryableError } from "../../../app/crm/amocrm/errors.js";
import { PermanentError, RetryableError } from "../../../app/core/outbox/types.js";
import { portals } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { AmoHarness } from "./harness.js";

const accountSchema = z.looseObject({ id: z.number(), subdomain: z.string() });
const anything = z.unknown();

describe.each(await backends())("amoCRM REST client (%s)", (backend) => {
  const h = new AmoHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("happy: a call carries the stored Bearer token, parses the answer with the schema, and 204 is null (5, 5.2)", async () => {
    const { fake, row } = await h.installed();
    const client = h.client(row);
    const account = await client.request("GET", "/api/v4/account", undefined, accountSchema);
    expect(account).toMatchObject({ id: fake.accountId, subdomain: fake.subdomain });
    const [call] = fake.restCalls("/api/v4/account").slice(-1);
    expect(call!.headers.authorization).toMatch(/^Bearer eyJ/);
    expect(call!.headers["content-type"]).toBeUndefined();

    expect(await client.request("GET", "/api/v4/contacts?query=70000000000", undefined, anything)).toBeNull();
  });

  it("happy: a POST sends JSON; an absolute URL on the account's own origin (a Salesbot return_url, 4.2) works, 202 without body is null", async () => {
    const { fake, row } = await h.installed();
    fake.setContacts([{ id: 501, phones: ["+79160000501"] }]);
    const client = h.client(row);
    const notes = await client.request("POST", "/api/v4/contacts/notes", [{ entity_id: 501, note_type: "common", params: { text: "hi" } }], z.looseObject({ _embedded: z.looseObject({ notes: z.array(z.looseObject({ id: z.number() })) }) }));
    expect(notes!._embedded.notes).toHaveLength(1);
    const [post] = fake.restCalls("/api/v4/contacts/notes");
    expect(post!.headers["content-type"]).toBe("application/json");
    expect(post!.json).toEqual([{ entity_id: 501, note_type: "common", params: { text: "hi" } }]);

    const answer = await client.request("POST", `${fake.url}/api/v4/salesbot/321/continue/123`, { data: { status: "success" } }, anything);
    expect(answer).toBeNull();
    expect(fake.continues).toEqual([expect.objectContaining({ botId: "321", continueId: "123", body: { data: { status: "success" } }, authorization: expect.stringMatching(/^Bearer /) })]);
  });

  it("security: a URL on another origin, with credentials, or outside /api/v4 is refused before anything is sent (foreign_url)", async () => {
    const { fake, row } = await h.installed();
    const other = await h.account();
    const client = h.client(row);
    const before = fake.calls.length;
    for (const url of [
      `${other.url}/api/v4/salesbot/1/continue/2`,
      "https://evil.example.com/api/v4/salesbot/1/continue/2",
      `//${other.host}/api/v4/account`,
      `http://user:pw@${fake.host}/api/v4/account`,
      `${fake.url}/oauth2/access_token`,
      "/oauth2/access_token",
      "/api/v3/account",
      "not a url",
    ]) {
      const err = await client.request("POST", url, {}, anything).catch((e: unknown) => e);
      expect(err, url).toBeInstanceOf(AmoCrmError);
      expect((err as AmoCrmError).code, url).toBe("foreign_url");
    }
    expect(fake.calls.length).toBe(before);
    expect(other.calls).toHaveLength(0);
  });

  it("happy: 429 is retryable with the Retry-After delay, and the next run succeeds (5.7)", async () => {
    const { fake, row } = await h.installed();
    fake.answer429(1, 7);
    const err = await h.client(row).request("GET", "/api/v4/account", undefined, accountSchema).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoCrmRetryableError);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as AmoCrmRetryableError).code).toBe("rate_limited");
    expect((err as AmoCrmRetryableError).delayMs).toBe(7000);
    fake.answer429(1);
    const noHeader = await h.client(row).request("GET", "/api/v4/account", undefined, accountSchema).catch((e: unknown) => e);
    expect((noHeader as AmoCrmRetryableError).delayMs).toBe(5000);
    expect(await h.client(row).request("GET", "/api/v4/account", undefined, accountSchema)).toMatchObject({ id: fake.accountId });
  });

  it("error: 5xx and a dead account host are retryable; 400 carries the validation errors; 402/403/404 are permanent", async () => {
    const { fake, row } = await h.installed();
    const client = h.client(row);
    fake.injected.push({ status: 503, body: { title: "Service Unavailable" } });
    await expect(client.request("GET", "/api/v4/account", undefined, anything)).rejects.toMatchObject({ code: "server_error" });

    const invalid = await client.request("POST", "/api/v4/contacts/notes", [{ entity_id: 999999, note_type: "bogus", params: { text: "x" } }], anything).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(PermanentError);
    expect(invalid).toMatchObject({ code: "validation", status: 400 });
    expect((invalid as Error).message).toContain("[0] entity_id: Entity not found");
    expect((invalid as Error).message).toContain("note_type: The value you selected is not a valid choice.");

    for (const [status, code] of [[402, "payment_required"], [403, "forbidden"], [404, "not_found"]] as const) {
      fake.injected.push({ status, body: { title: "No", detail: `status ${status}` } });
      const err = await client.request("GET", "/api/v4/account", undefined, anything).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AmoCrmError);
      expect(err).toMatchObject({ code, status });
    }
    fake.injected.push({ status: 302, body: {}, headers: { location: "https://evil.example.com/" } });
    await expect(client.request("GET", "/api/v4/account", undefined, anything)).rejects.toMatchObject({ code: "redirected" });
    expect(fake.restCalls("/api/v4/account").every((c) => !c.path.includes("evil"))).toBe(true);

    await fake.close();
    const down = await h.client(row).request("GET", "/api/v4/account", undefined, anything).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(AmoCrmRetryableError);
    expect(down).toMatchObject({ code: "network" });
    await fake.start();
  });

  it("error: an answer that does not fit the schema is bad_response, not a crash", async () => {
    const { row } = await h.installed();
    await expect(h.client(row).request("GET", "/api/v4/account", undefined, z.object({ id: z.string() }))).rejects.toMatchObject({ code: "bad_response" });
  });

  it("happy: our per-account budget (5.7, [U] per account vs token/IP) waits briefly when spent, and hands the job back when the wait would be long", async () => {
    const { row } = await h.installed();
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
      h.clock.advance(ms);
    };
    const client = h.client(row, { rateLimit: { limit: 2, windowMs: 1000 }, sleep });
    for (let i = 0; i < 3; i++) await client.request("GET", "/api/v4/account", undefined, anything);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(0);
    expect(waits[0]).toBeLessThanOrEqual(1100);

    const slow = h.client(row, { rateLimit: { limit: 1, windowMs: 60_000 }, sleep });
    await slow.request("GET", "/api/v4/account", undefined, anything).catch(() => undefined);
    const err = await slow.request("GET", "/api/v4/account", undefined, anything).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoCrmRetryableError);
    expect(err).toMatchObject({ code: "rate_limited" });
    expect((err as AmoCrmRetryableError).delayMs).toBeGreaterThan(50_000);
  });

  it("error: an account row whose base URL is not an account host sends no token anywhere", async () => {
    const { fake, row } = await h.installed();
    await h.t.db.update(portals).set({ settings: { baseUrl: "https://evil.example.com" } }).where(eq(portals.id, row.id));
    const before = fake.calls.length;
    await expect(h.client(row).request("GET", "/api/v4/account", undefined, anything)).rejects.toMatchObject({ code: "invalid_account_host" });
    expect(fake.calls.length).toBe(before);
  });
});

describe("amoCRM problem+json (5.7)", () => {
  it("happy: the sheet's example reads as title, detail and each validation error", () => {
    const text = describeProblem({
      "validation-errors": [{ request_id: "0", errors: [{ code: "NotSupportedChoice", path: "custom_fields_values.0.field_id", detail: "The value you selected is not a valid choice." }] }],
      title: "Bad Request",
      type: "https://httpstatus.es/400",
      status: 400,
      detail: "Request validation failed",
    });
    expect(text).toBe("Bad Request — Request validation failed — [0] custom_fields_values.0.field_id: The value you selected is not a valid choice.");
    expect(describeProblem("<html>")).toBe("");
  });
});
