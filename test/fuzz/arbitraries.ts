import fc from "fast-check";

/** One generated HTTP request, as the fuzz harness sends it to the app. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
}

// built once: generating a megabyte per run would dominate the suite's time
const MEGA = "a".repeat(1_100_000);

const b64url = (s: string) => Buffer.from(s).toString("base64url");

/** Path segments that try to escape or confuse the router: traversal, encodings, sizes. */
export const junkSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("..", "%2e%2e", "%2E%2E%2F..%2F", "..%2f..%2fetc%2fpasswd", "%00", "%ff%fe%fd", "a%2Fb", "%252e%252e", "~", "null", "undefined", "0", "-1"),
  fc.constant("x".repeat(5000)),
  fc.string({ maxLength: 40 }).map((s) => encodeURIComponent(s)),
  fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/),
  fc.uuid(),
);

/** Values of the wrong type or size where the route expects a short string. */
const weirdScalar: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("", " ", "0", "-1", "1e309", "NaN", "true", "null", "[]", "{}", "\u0000", "\ud800", "79991234567", "+7 (999) 123-45-67", "<script>alert(1)</script>", "' or 1=1 --"),
  fc.string({ maxLength: 60 }),
  fc.stringMatching(/^[0-9]{1,40}$/),
  fc.constant("z".repeat(20_000)),
);

const weirdJson: fc.Arbitrary<unknown> = fc.oneof(
  weirdScalar,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 10 })), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string({ maxLength: 10 })), { maxKeys: 4 }),
);

function deepJson(depth: number, kind: "array" | "object"): string {
  return kind === "array" ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}

/** `a[b][b]...=1` nested thousands deep, or thousands of bracket keys in one body. */
function bracketBomb(fields: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.tuple(fc.constantFrom(...fields, "a"), fc.integer({ min: 100, max: 3000 })).map(([k, d]) => `${k}${"[b]".repeat(d)}=1`),
    fc.integer({ min: 1000, max: 4000 }).map((n) => Array.from({ length: n }, (_, i) => `k${i}[x][]=v`).join("&")),
    fc.constantFrom(...fields, "a").map((k) => `${k}[]=${"&" + k + "[]=1".repeat(3000)}`),
    fc.constant("a[__proto__][polluted]=1&a[constructor][prototype][x]=1"),
  );
}

function fieldDict(fields: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  return fc.dictionary(fc.oneof(fc.constantFrom(...fields), fc.string({ maxLength: 12 })), weirdJson, { maxKeys: 6 });
}

function formOf(dict: Record<string, unknown>): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(dict)) {
    if (Array.isArray(v)) v.forEach((x, i) => out.append(`${k}[${i}]`, String(x)));
    else if (v && typeof v === "object") for (const [kk, vv] of Object.entries(v)) out.append(`${k}[${kk}]`, String(vv));
    else out.append(k, String(v));
  }
  return out.toString();
}

export interface BodyCase {
  type?: string;
  body?: string | Uint8Array<ArrayBuffer>;
}

const CONTENT_TYPES = [
  "application/json",
  "application/x-www-form-urlencoded",
  "multipart/form-data",
  "multipart/form-data; boundary=zzz",
  "text/plain",
  "application/xml",
  "application/json; charset=koi8-r",
  "application/x-www-form-urlencoded; charset=bogus",
  "application/octet-stream",
  "",
] as const;

/** Bodies that are wrong in every way the brief names; the content type may not match them. */
export function bodyCase(fields: readonly string[]): fc.Arbitrary<BodyCase> {
  const body: fc.Arbitrary<BodyCase> = fc.oneof(
    { weight: 4, arbitrary: fieldDict(fields).map((d) => ({ type: "application/json", body: JSON.stringify(d) })) },
    { weight: 4, arbitrary: fieldDict(fields).map((d) => ({ type: "application/x-www-form-urlencoded", body: formOf(d) })) },
    { weight: 2, arbitrary: fc.array(fieldDict(fields), { maxLength: 3 }).map((a) => ({ type: "application/json", body: JSON.stringify(a) })) },
    { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 50, max: 5000 }), fc.constantFrom("array" as const, "object" as const)).map(([d, k]) => ({ type: "application/json", body: deepJson(d, k) })) },
    { weight: 3, arbitrary: bracketBomb(fields).map((b) => ({ type: "application/x-www-form-urlencoded", body: b })) },
    { weight: 1, arbitrary: fc.constantFrom(...fields, "x").map((k) => ({ type: "application/x-www-form-urlencoded", body: `${k}=${MEGA}` })) },
    { weight: 1, arbitrary: fc.constantFrom(...fields, "x").map((k) => ({ type: "application/json", body: `{"${k}":"${MEGA}"}` })) },
    {
      weight: 2,
      arbitrary: fc.uint8Array({ maxLength: 64 }).map((tail) => ({
        type: "application/json",
        body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x22, 0x3a, ...tail]),
      })),
    },
    { weight: 1, arbitrary: fc.constant({ type: "multipart/form-data; boundary=b", body: "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n" }) },
    { weight: 2, arbitrary: fc.constantFrom<BodyCase>({ body: "" }, { type: "application/json", body: "" }, { type: "application/json", body: "null" }, { type: "application/json", body: "{" }, {}) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((s) => ({ body: s })) },
  );
  // a third of the time the declared type is something else than the body is
  return fc.tuple(body, fc.option(fc.constantFrom(...CONTENT_TYPES), { freq: 3 })).map(([b, other]) => (other === null ? b : { ...b, type: other }));
}

/** Query strings with the same tricks as bodies, kept smaller (URLs have their own limits). */
export function queryCase(fields: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant(""),
    fieldDict(fields).map(formOf),
    fc.tuple(fc.constantFrom(...fields, "a"), fc.integer({ min: 100, max: 1000 })).map(([k, d]) => `${k}${"[b]".repeat(d)}=1`),
    fc.constant("a=%ff%fe&b=%E0%80%AF&c=%"),
    fc.constantFrom(...fields, "q").map((k) => `${k}=${"q".repeat(50_000)}`),
  );
}

function forgedJwt(): fc.Arbitrary<string> {
  return fc
    .record({
      alg: fc.constantFrom("none", "HS256", "RS256", ""),
      exp: fc.oneof(fc.constant(1), fc.integer({ min: 1_000_000_000, max: 2_000_000_000 })),
      sub: fc.string({ maxLength: 20 }),
      sig: fc.stringMatching(/^[A-Za-z0-9_-]{0,86}$/),
    })
    .map(({ alg, exp, sub, sig }) => `${b64url(JSON.stringify({ alg, typ: "JWT" }))}.${b64url(JSON.stringify({ sub, exp, account_id: 1, user_id: 1, iss: "https://x.amocrm.ru" }))}.${sig}`);
}

/** Credentials of every kind, all forged: bearer tokens and JWTs, HMAC headers, secret headers. */
export const forgedAuthHeaders: fc.Arbitrary<Record<string, string>> = fc
  .record(
    {
      authorization: fc.oneof(
        forgedJwt().map((t) => `Bearer ${t}`),
        fc.stringMatching(/^[A-Za-z0-9_-]{16,128}$/).map((t) => `Bearer ${t}`),
        fc.constantFrom("Bearer", "Bearer ", "Basic YWRtaW46YWRtaW4=", `Bearer ${"x".repeat(10_000)}`),
      ),
      "x-signature": fc.stringMatching(/^[0-9a-f]{40}$/),
      "x-hub-signature-256": fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256=${h}`),
      "x-telegram-bot-api-secret-token": fc.stringMatching(/^[A-Za-z0-9_-]{1,256}$/),
      "x-request-id": fc.oneof(fc.string({ maxLength: 20 }).map(encodeURIComponent), fc.constant("r".repeat(300))),
    },
    { requiredKeys: [] },
  );

export interface RequestSpec {
  methods: readonly string[];
  path: fc.Arbitrary<string>;
  /** field names the route reads, so generated bodies hit its parser and not only its 404 */
  fields: readonly string[];
  /** headers or fields every generated request carries (a valid token, a poisoned parameter) */
  headers?: fc.Arbitrary<Record<string, string>>;
  /** appended to every generated query string (e.g. a parameter that keeps the request invalid) */
  fixedQuery?: string;
}

/** Requests for one route: method, path, query, headers (some forged) and a malformed body. */
export function requestsFor(spec: RequestSpec): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: fc.constantFrom(...spec.methods),
      path: spec.path,
      query: queryCase(spec.fields),
      auth: forgedAuthHeaders,
      fixed: spec.headers ?? fc.constant({}),
      body: bodyCase(spec.fields),
    })
    .map(({ method, path, query, auth, fixed, body }) => {
      const headers: Record<string, string> = { ...auth, ...fixed };
      if (body.type) headers["content-type"] = body.type;
      const q = [query, spec.fixedQuery ?? ""].filter(Boolean).join("&");
      const req: FuzzRequest = { method, path: q ? `${path}?${q}` : path, headers };
      if (body.body !== undefined) req.body = body.body;
      return req;
    });
}
