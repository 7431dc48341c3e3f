import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenApiDocument } from "../../../app/api/webhook/openapi.js";
import { ERROR_STATUS } from "../../../app/core/errors.js";
import { WebhookHarness } from "./harness.js";

const METHODS = ["sendText", "sendFile", "sendTemplate", "sendForm", "checkPhone", "checkStatus", "checkMessageStatus"];

describe("GET /rest/webhook/openapi.json and GET /docs", () => {
  const h = new WebhookHarness("pglite");
  beforeAll(() => h.start({ PUBLIC_URL: "https://bridge.example.com" }));
  afterAll(() => h.close());

  it("openapi.json is an OpenAPI 3.1 document with GET and POST (form and JSON) for every method", async () => {
    const res = await h.get("/rest/webhook/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as OpenApiDocument;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers).toEqual([{ url: "https://bridge.example.com" }]);
    expect(Object.keys(doc.paths).sort()).toEqual(METHODS.map((m) => `/rest/webhook/{kind}/{token}/${m}`).sort());
    const sendText = doc.paths["/rest/webhook/{kind}/{token}/sendText"]!;
    expect(sendText.parameters.find((p) => p.name === "kind")?.schema.enum).toEqual(["wa", "tg"]);
    expect(sendText.get.parameters?.filter((p) => p.required).map((p) => p.name)).toEqual(["phone_number", "body"]);
    expect(Object.keys(sendText.post.requestBody?.content ?? {})).toEqual(["application/x-www-form-urlencoded", "application/json"]);
    expect(sendText.get.responses["429"]?.headers?.["Retry-After"]).toBeDefined();
    expect(sendText.get.responses["404"]?.description).toContain("invalid_token");
    expect(doc.paths["/rest/webhook/{kind}/{token}/checkPhone"]!.get.description).toMatch(/ban/);
    // every documented error code is a real one, with the status the API answers
    expect(doc.components.schemas.Error?.properties?.error?.enum?.every((code) => typeof code === "string" && code in ERROR_STATUS)).toBe(true);
    // country is an ISO 3166-1 alpha-2 code wherever it appears
    for (const path of Object.values(doc.paths)) {
      const country = path.get.parameters?.find((p) => p.name === "country");
      if (country) {
        expect(country.schema.pattern).toBe("^[A-Za-z]{2}$");
        expect(country.schema.description).toMatch(/ISO 3166-1 alpha-2/);
      }
    }
    // the descriptions are the English ones of the single bilingual description
    expect(sendText.get.summary).toBe("Send a text message");
  });

  it("openapi.json documents sendForm: configuration in the query, the form's own fields in the body", async () => {
    const doc = (await (await h.get("/rest/webhook/openapi.json")).json()) as OpenApiDocument;
    const sendForm = doc.paths["/rest/webhook/{kind}/{token}/sendForm"]!;
    const names = (sendForm.post.parameters ?? []).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(["body", "to", "visitor_body", "phone_field", "request_id_field", "send_to_imol", "country", "wait"]));
    expect(sendForm.post.parameters?.filter((p) => p.required).map((p) => p.name)).toEqual(["body"]);
    const content = sendForm.post.requestBody?.content ?? {};
    expect(Object.keys(content)).toEqual(["application/x-www-form-urlencoded", "application/json", "multipart/form-data"]);
    expect(content["application/json"]?.schema.additionalProperties).toEqual({ type: "string" });
    expect(sendForm.post.description).toMatch(/test=test/);
    expect(sendForm.post.description).toMatch(/tranid/);
  });

  it("/docs documents every method with curl examples for GET, form POST and JSON POST, the errors and the limits", async () => {
    const res = await h.get("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await res.text();
    for (const m of METHODS) expect(html).toContain(`id="${m}"`);
    expect(html).toContain("curl &#39;https://bridge.example.com/rest/webhook/wa/&lt;token&gt;/sendText?phone_number=79001234567");
    expect(html).toContain("--data-urlencode &#39;phone_number=79001234567&#39;");
    expect(html).toContain("-H &#39;Content-Type: application/json&#39;");
    expect(html).toContain("5 requests per 3 seconds");
    expect(html).toContain("3 requests per second");
    expect(html).toMatch(/messengers ban numbers/);
    for (const code of ["invalid_token", "token_revoked", "rate_limited", "channel_not_connected", "no_messenger", "file_unreachable"]) {
      expect(html).toContain(`<code>${code}</code>`);
    }
  });
});
