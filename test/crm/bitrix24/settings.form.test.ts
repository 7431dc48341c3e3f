import { describe, expect, it } from "vitest";
import { providerCatalog } from "../../../app/api/admin/list-providers.js";
import { SETTINGS_PAGE_SCRIPT } from "../../../app/crm/bitrix24/settings/page-script.js";
import { SCHEMA_FORM_SCRIPT } from "../../../app/crm/bitrix24/settings/schema-form-script.js";

interface Field {
  name: string;
  label: string;
  kind: "string" | "integer" | "number" | "boolean" | "enum";
  required: boolean;
  secret: boolean;
  options: Array<string | number>;
  defaultValue: unknown;
  format: string;
  minimum: number | null;
  maximum: number | null;
}

interface FormHelpers {
  schemaFields(schema: unknown): Field[];
  credentialsFromValues(fields: Field[], values: Record<string, unknown>): { credentials: Record<string, unknown>; missing: string[]; invalid: string[] };
}

// the very text the browser runs, evaluated as a function body
const helpers = new Function(`"use strict";\n${SCHEMA_FORM_SCRIPT}\nreturn { schemaFields, credentialsFromValues };`)() as FormHelpers;

const schemaOf = (name: string) => providerCatalog().find((p) => p.name === name)!.credentials;

describe("settings page: schema -> form fields", () => {
  it("Wappi: required strings, secret token as a password, the messenger enum with its default, the URL field", () => {
    const fields = helpers.schemaFields(schemaOf("wappi"));
    expect(fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ["apiToken", "string", true],
      ["profileId", "string", true],
      ["messenger", "enum", false],
      ["apiUrl", "string", false],
    ]);
    expect(fields[0]).toMatchObject({ label: "Api token", secret: true });
    expect(fields[1]).toMatchObject({ label: "Profile id", secret: false });
    expect(fields[2]).toMatchObject({ options: ["whatsapp", "telegram"], defaultValue: "whatsapp" });
    expect(fields[3]).toMatchObject({ format: "uri" });
  });

  it("unions of string and integer become text fields; integers keep their bounds", () => {
    const green = helpers.schemaFields(schemaOf("greenapi"));
    expect(green.find((f) => f.name === "idInstance")).toMatchObject({ kind: "string", required: true });
    const gateway = helpers.schemaFields(schemaOf("gateway"));
    expect(gateway.find((f) => f.name === "leaseSeconds")).toMatchObject({ kind: "integer", required: false, minimum: 10, maximum: 3600, defaultValue: 120 });
  });

  it("every registered provider's schema gives at least one field, each of a kind the form can render", () => {
    for (const p of providerCatalog()) {
      const fields = helpers.schemaFields(p.credentials);
      expect(fields.length, p.name).toBeGreaterThan(0);
      for (const f of fields) expect(["string", "integer", "number", "boolean", "enum"], `${p.name}.${f.name}`).toContain(f.kind);
    }
  });

  it("booleans and titled fields from a hand-written schema", () => {
    const fields = helpers.schemaFields({ type: "object", properties: { sandbox: { type: "boolean", title: "Sandbox mode" } }, required: ["sandbox"] });
    expect(fields).toEqual([expect.objectContaining({ name: "sandbox", kind: "boolean", label: "Sandbox mode", required: true })]);
  });
});

describe("settings page: form values -> credentials", () => {
  it("trims text, drops empty optionals, converts integers, keeps enum values, reports missing required fields", () => {
    const fields = helpers.schemaFields(schemaOf("gateway")).concat(helpers.schemaFields(schemaOf("wappi")));
    const result = helpers.credentialsFromValues(fields, { device: "  Pixel 7 ", leaseSeconds: "300", maxAttempts: "", apiToken: " t0ken ", profileId: "", messenger: "telegram", apiUrl: "" });
    expect(result).toEqual({ credentials: { device: "Pixel 7", leaseSeconds: 300, apiToken: "t0ken", messenger: "telegram" }, missing: ["profileId"], invalid: [] });
  });

  it("a non-integer in an integer field and a value outside the enum are invalid", () => {
    const fields = helpers.schemaFields(schemaOf("gateway")).concat(helpers.schemaFields(schemaOf("wappi")));
    const result = helpers.credentialsFromValues(fields, { leaseSeconds: "1.5", maxAttempts: "many", apiToken: "a", profileId: "b", messenger: "viber" });
    expect(result.invalid).toEqual(["leaseSeconds", "maxAttempts", "messenger"]);
  });

  it("a checkbox always sends its state", () => {
    const fields = helpers.schemaFields({ type: "object", properties: { sandbox: { type: "boolean" } } });
    expect(helpers.credentialsFromValues(fields, { sandbox: false }).credentials).toEqual({ sandbox: false });
  });
});

describe("settings page script", () => {
  it("is valid JavaScript that never uses innerHTML or eval-like sinks", () => {
    expect(() => new Function(SETTINGS_PAGE_SCRIPT)).not.toThrow();
    expect(SETTINGS_PAGE_SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(/);
    // a literal end tag would close the page's script element early
    expect(SETTINGS_PAGE_SCRIPT).not.toMatch(/<\/script/i);
  });
});
