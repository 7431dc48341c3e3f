import { Hono } from "hono";
import { ERROR_STATUS, type ErrorCode } from "../../core/errors.js";
import type { AppEnv } from "../../deps.js";
import { MAX_WAIT_SECONDS } from "./params.js";
import { ERROR_DOCS, METHOD_DOCS, type MethodDoc, type ParamDoc } from "./reference.js";

/** The parts of OpenAPI 3.1 this document uses, so a typo in a key is a type error. */
interface SchemaObject {
  type?: "string" | "integer" | "boolean" | "object" | "array" | Array<"string" | "null">;
  description?: string;
  enum?: readonly (string | boolean)[];
  properties?: Record<string, SchemaObject>;
  required?: string[];
  items?: SchemaObject;
  minimum?: number;
  pattern?: string;
  additionalProperties?: boolean | SchemaObject;
  maximum?: number;
  format?: string;
  examples?: unknown[];
  $ref?: string;
}
interface ParameterObject {
  name: string;
  in: "path" | "query";
  required: boolean;
  description?: string;
  schema: SchemaObject;
}
interface ResponseObject {
  description: string;
  headers?: Record<string, { description: string; schema: SchemaObject }>;
  content?: Record<string, { schema: SchemaObject; example?: unknown }>;
}
interface OperationObject {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  parameters?: ParameterObject[];
  requestBody?: { required: boolean; content: Record<string, { schema: SchemaObject }> };
  responses: Record<string, ResponseObject>;
}
interface PathItemObject {
  parameters: ParameterObject[];
  get: OperationObject;
  post: OperationObject;
}
export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string }>;
  paths: Record<string, PathItemObject>;
  components: { schemas: Record<string, SchemaObject> };
}

function paramSchema(p: ParamDoc): SchemaObject {
  const description = p.description.en;
  if (p.yesNo) return { type: "string", enum: ["Y", "N"], description, examples: [p.example] };
  if (p.name === "wait") return { type: "integer", minimum: 0, maximum: MAX_WAIT_SECONDS, description, examples: [Number(p.example)] };
  // `name[]`: a list, repeated in a query or form (PHP style), an array in a JSON body
  if (p.name.endsWith("[]")) return { type: "array", items: { type: "string" }, description, examples: [[p.example]] };
  return { type: p.type, description, ...(p.pattern ? { pattern: p.pattern } : {}), examples: [p.example] };
}

/** POST bodies carry the same names as the query: one object schema serves form and JSON. */
function bodySchema(m: MethodDoc): SchemaObject {
  if (m.formFields) {
    // sendForm: the form's own fields, whatever the builder names them; the configuration stays in the query
    return {
      type: "object",
      description: "The visitor's answers under the form's own field names (configuration parameters go in the query string).",
      additionalProperties: { type: "string" },
      examples: [Object.fromEntries(m.formFields)],
    };
  }
  const required = m.params.filter((p) => p.required).map((p) => p.name);
  return {
    type: "object",
    properties: Object.fromEntries(m.params.map((p) => [p.name, paramSchema(p)])),
    ...(required.length > 0 ? { required } : {}),
  };
}

const errorRef: SchemaObject = { $ref: "#/components/schemas/Error" };

function responsesOf(m: MethodDoc): Record<string, ResponseObject> {
  const codes: ErrorCode[] = ["invalid_token", "token_revoked", "forbidden", "invalid_body", ...m.errors, "internal"];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  const out: Record<string, ResponseObject> = {
    "200": { description: "Success", content: { "application/json": { schema: { type: "object" }, example: m.answer } } },
  };
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = {
      description: `Error: ${list.join(", ")}`,
      ...(status === 429 ? { headers: { "Retry-After": { description: "Seconds to wait before retrying", schema: { type: "integer" } } } } : {}),
      content: { "application/json": { schema: errorRef, example: { ok: false, error: list[0], message: "…", request_id: "5f0c…" } } },
    };
  }
  return out;
}

function operation(m: MethodDoc, verb: "get" | "post"): OperationObject {
  const warning = m.warning ? `\n\n**Warning:** ${m.warning.en}` : "";
  const text = `${m.description.en}${warning}\n\nLimit: ${m.limit.en}.`;
  const base = { operationId: `${m.name}${verb === "get" ? "Get" : "Post"}`, summary: m.summary.en, description: text, tags: ["webhook"] };
  const query = m.params.map((p) => ({ name: p.name, in: "query" as const, required: p.required, schema: paramSchema(p) }));
  if (verb === "get") {
    return {
      ...base,
      parameters: query,
      responses: responsesOf(m),
    };
  }
  const schema = bodySchema(m);
  if (m.formFields) {
    return {
      ...base,
      parameters: query,
      requestBody: {
        required: false,
        content: {
          "application/x-www-form-urlencoded": { schema },
          "application/json": { schema },
          "multipart/form-data": { schema },
        },
      },
      responses: responsesOf(m),
    };
  }
  return {
    ...base,
    requestBody: { required: m.params.some((p) => p.required), content: { "application/x-www-form-urlencoded": { schema }, "application/json": { schema } } },
    responses: responsesOf(m),
  };
}

const pathParams: ParameterObject[] = [
  { name: "kind", in: "path", required: true, description: "wa for WhatsApp channels, tg for Telegram channels", schema: { type: "string", enum: ["wa", "tg"] } },
  { name: "token", in: "path", required: true, description: "The channel's webhook token (keep it secret)", schema: { type: "string" } },
];

export function buildOpenApi(publicUrl: string): OpenApiDocument {
  return {
    openapi: "3.1.0",
    info: {
      title: "chatbridge webhook API",
      version: "1.0.0",
      description:
        "OLChat-compatible secret webhook URLs for WhatsApp and Telegram channels. Every method accepts GET with query parameters and POST with a form or JSON body of the same names (sendForm: configuration in the query string, the form's own fields in the body).\n\nErrors:\n" +
        ERROR_DOCS.map((e) => `- \`${e.code}\` (HTTP ${ERROR_STATUS[e.code]}): ${e.when.en}`).join("\n"),
    },
    servers: [{ url: publicUrl }],
    paths: Object.fromEntries(
      METHOD_DOCS.map((m) => [`/rest/webhook/{kind}/{token}/${m.name}`, { parameters: pathParams, get: operation(m, "get"), post: operation(m, "post") }]),
    ),
    components: {
      schemas: {
        Error: {
          type: "object",
          required: ["ok", "error", "message"],
          properties: {
            ok: { type: "boolean", enum: [false] },
            error: { type: "string", enum: ERROR_DOCS.map((e) => e.code) },
            message: { type: "string", description: "Human-readable reason" },
            field: { type: "string", description: "The parameter at fault, for parameter errors" },
            request_id: { type: "string", description: "Identifies this HTTP request for support (X-Request-Id)" },
            message_id: { type: "string", description: "sendText/sendFile failures: the message that failed" },
            status: { type: "string", description: "sendText/sendFile failures: failed" },
          },
        },
      },
    },
  };
}

/** GET /rest/webhook/openapi.json: the machine-readable description of the webhook API. */
export const openApi = new Hono<AppEnv>().get("/rest/webhook/openapi.json", (c) => c.json(buildOpenApi(c.var.deps.config.PUBLIC_URL)));
