/**
 * The page's pure helpers that turn a provider's credentials JSON Schema (GET /api/providers)
 * into form fields and the typed values back into a credentials object. Plain browser
 * JavaScript in a string, because the page has no build step and must be served the same way on
 * Node and Workers; tests evaluate this very text (test/crm/bitrix24/settings.form.test.ts), so
 * what is tested is what the browser runs. String.raw keeps backslashes as written.
 */
export const SCHEMA_FORM_SCRIPT = String.raw`
function humanizeFieldName(name) {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function fieldKindOf(prop) {
  if (!prop || typeof prop !== "object") return "string";
  if (Array.isArray(prop.enum) && prop.enum.length > 0 && prop.enum.every((v) => typeof v === "string" || typeof v === "number")) return "enum";
  if (prop.type === "string" || prop.type === "integer" || prop.type === "number" || prop.type === "boolean") return prop.type;
  // a union such as string | integer (an id some accounts write with letters): a text box takes every member
  if (Array.isArray(prop.anyOf)) {
    const kinds = prop.anyOf.map(fieldKindOf);
    return kinds.indexOf("string") >= 0 ? "string" : kinds[0] || "string";
  }
  // shapes a form cannot offer fall back to text: the server's zod check then names the field
  return "string";
}

const SECRET_FIELD = /token|password|secret|key/i;

function schemaFields(schema) {
  const props = schema && schema.properties && typeof schema.properties === "object" ? schema.properties : {};
  const required = schema && Array.isArray(schema.required) ? schema.required : [];
  return Object.keys(props).map((name) => {
    const prop = props[name] && typeof props[name] === "object" ? props[name] : {};
    const kind = fieldKindOf(prop);
    return {
      name,
      label: typeof prop.title === "string" && prop.title ? prop.title : humanizeFieldName(name),
      description: typeof prop.description === "string" ? prop.description : "",
      kind,
      required: required.indexOf(name) >= 0,
      secret: kind === "string" && SECRET_FIELD.test(name),
      options: kind === "enum" ? prop.enum.slice() : [],
      defaultValue: prop.default === undefined ? null : prop.default,
      format: typeof prop.format === "string" ? prop.format : "",
      minimum: typeof prop.minimum === "number" ? prop.minimum : null,
      maximum: typeof prop.maximum === "number" ? prop.maximum : null,
    };
  });
}

function credentialsFromValues(fields, values) {
  const credentials = {};
  const missing = [];
  const invalid = [];
  for (const field of fields) {
    const value = values[field.name];
    if (field.kind === "boolean") {
      if (value === true || value === false) credentials[field.name] = value;
      else if (field.required) missing.push(field.name);
      continue;
    }
    const text = value === undefined || value === null ? "" : String(value).trim();
    if (text === "") {
      if (field.required) missing.push(field.name);
      continue;
    }
    if (field.kind === "integer" || field.kind === "number") {
      const n = Number(text);
      if (!Number.isFinite(n) || (field.kind === "integer" && !Number.isInteger(n))) invalid.push(field.name);
      else credentials[field.name] = n;
      continue;
    }
    if (field.kind === "enum") {
      const match = field.options.find((option) => String(option) === text);
      if (match === undefined) invalid.push(field.name);
      else credentials[field.name] = match;
      continue;
    }
    credentials[field.name] = text;
  }
  return { credentials, missing, invalid };
}
`;
