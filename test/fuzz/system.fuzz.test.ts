import fc from "fast-check";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { files } from "../../app/db/schema.js";
import { junkSegment, requestsFor } from "./arbitraries.js";
import { FuzzApp, fuzzRoute, STARTUP_MS } from "./harness.js";

const FIELDS = ["format", "token", "id", "signature", "lang", "LANG", "q"];
const METRICS_TOKEN = "fuzz-metrics-token-0123456789";

describe("fuzz: system routes, files and unknown paths", () => {
  const fuzz = new FuzzApp();
  let fileId = "";

  beforeAll(async () => {
    await fuzz.start({ METRICS_TOKEN });
    await fuzz.deps.files.put("fuzz/file.txt", new TextEncoder().encode("hello"), { mime: "text/plain" });
    const [row] = await fuzz.t.db
      .insert(files)
      .values({ storageKey: "fuzz/file.txt", name: "file.txt", mime: "text/plain", size: 5, sha256: "0".repeat(64) })
      .returning({ id: files.id });
    fileId = row!.id;
  }, STARTUP_MS);
  afterAll(() => fuzz.close());

  it("the harness itself sees a write and an outbound call (so a green run means something)", async () => {
    const before = await fuzz.writesSince(0);
    await fuzz.t.db.execute(sql`update files set name = name where id = ${fileId}`);
    expect((await fuzz.writesSince(before.last)).tables).toEqual(["UPDATE files"]);
    await expect(fuzz.deps.fetch("http://127.0.0.1:9/x")).rejects.toThrow(/unexpected outbound call/);
    expect(fuzz.outbound).toEqual(["http://127.0.0.1:9/x"]);
    fuzz.outbound.length = 0;
  });

  it("/, /health, /docs, /openapi.json: junk queries, bodies and verbs", async () => {
    const path = fc.constantFrom("/", "/health", "/health/live", "/health/ready", "/docs", "/rest/webhook/openapi.json");
    await fuzzRoute({
      name: "system pages",
      app: fuzz,
      forged: false,
      expect: { html: true },
      requests: requestsFor({ methods: ["GET", "HEAD", "POST", "DELETE", "OPTIONS"], path, fields: FIELDS }),
    });
  });

  it("/metrics with forged bearer tokens", async () => {
    const bearer = fc.oneof(fc.constant({}), fc.constantFrom(`Bearer ${METRICS_TOKEN.toUpperCase()}`, `Basic ${METRICS_TOKEN}`).map((a) => ({ authorization: a })));
    await fuzzRoute({ name: "metrics", app: fuzz, forged: true, requests: requestsFor({ methods: ["GET"], path: fc.constant("/metrics"), fields: FIELDS, headers: bearer }) });
  });

  it("/files/<id>/<signature>: forged signatures, real and unknown ids, path tricks", async () => {
    const path = fc
      .tuple(fc.oneof(fc.constant(fileId), fc.uuid(), junkSegment), fc.oneof(junkSegment, fc.constant(`${Math.floor(Date.now() / 1000) + 3600}.${"A".repeat(43)}`)))
      .map(([id, sig]) => `/files/${id}/${sig}`);
    await fuzzRoute({ name: "files", app: fuzz, forged: true, requests: requestsFor({ methods: ["GET", "HEAD", "POST"], path, fields: FIELDS }) });
  });

  it("unknown paths, traversal and encoded slashes answer the JSON 404", async () => {
    const path = fc
      .array(fc.oneof(junkSegment, fc.constantFrom("api", "b24", "amocrm", "hooks", "rest", "webhook", "files", "gateway", "%2F", "%5C", "..;")), { minLength: 1, maxLength: 6 })
      .map((segments) => `/${segments.join("/")}`);
    await fuzzRoute({ name: "unknown paths", app: fuzz, forged: true, requests: requestsFor({ methods: ["GET", "POST", "PUT", "PATCH", "DELETE"], path, fields: FIELDS }) });
  });
});
