import type { FakeRecorder } from "../contract.js";

// What `POST /{Phone-Number-ID}/messages` accepts (channels-next.md 2 "Outbound", Meta OpenAPI
// v23.0): the fake records a violation for every field we would get wrong.

type Body = Record<string, unknown>;

const isObject = (v: unknown): v is Body => typeof v === "object" && v !== null && !Array.isArray(v);
const isHttpUrl = (v: unknown) => typeof v === "string" && /^https?:\/\/[^\s]+$/.test(v);

const TOP_FIELDS = new Set(["messaging_product", "recipient_type", "to", "type", "context", "biz_opaque_callback_data"]);
const MEDIA_FIELDS: Record<string, string[]> = {
  image: ["link", "id", "caption"],
  video: ["link", "id", "caption"],
  audio: ["link", "id"],
  sticker: ["link", "id"],
  document: ["link", "id", "caption", "filename"],
};
const OTHER_TYPES = new Set(["text", "template", "location", "contacts", "interactive", "reaction"]);
const PARAM_TYPES = new Set(["text", "currency", "date_time", "image", "video", "document", "payload"]);

function onlyFields(fake: FakeRecorder, obj: Body, allowed: readonly string[], what: string): boolean {
  let ok = true;
  for (const key of Object.keys(obj)) ok = fake.check(allowed.includes(key), `${what}.${key} is not a field of the Cloud API`) && ok;
  return ok;
}

function checkMedia(fake: FakeRecorder, type: string, media: Body): boolean {
  let ok = onlyFields(fake, media, MEDIA_FIELDS[type]!, type);
  ok = fake.check(("link" in media) !== ("id" in media), `${type} needs exactly one of link and id`) && ok;
  if ("link" in media) ok = fake.check(isHttpUrl(media.link), `${type}.link must be an http(s) URL`) && ok;
  if ("id" in media) ok = fake.check(typeof media.id === "string" && /^\d+$/.test(media.id), `${type}.id must be a media id`) && ok;
  if ("caption" in media) ok = fake.check(typeof media.caption === "string" && media.caption !== "", `${type}.caption must be a non-empty string`) && ok;
  if ("filename" in media) ok = fake.check(typeof media.filename === "string" && media.filename !== "", "document.filename must be a non-empty string") && ok;
  return ok;
}

function checkText(fake: FakeRecorder, text: Body): boolean {
  let ok = onlyFields(fake, text, ["body", "preview_url"], "text");
  const body = text.body;
  ok = fake.check(typeof body === "string" && body.trim() !== "", "text.body must be a non-empty string") && ok;
  if (typeof body === "string") ok = fake.check(Array.from(body).length <= 4096, `text.body has ${Array.from(body).length} characters, at most 4096`) && ok;
  if ("preview_url" in text) ok = fake.check(typeof text.preview_url === "boolean", "text.preview_url must be a boolean") && ok;
  return ok;
}

function checkParameter(fake: FakeRecorder, param: unknown, where: string): boolean {
  if (!fake.check(isObject(param), `${where}: a parameter must be an object`)) return false;
  const p = param as Body;
  const type = String(p.type);
  let ok = fake.check(PARAM_TYPES.has(type), `${where}: unknown parameter type ${JSON.stringify(p.type)}`);
  ok = onlyFields(fake, p, ["type", "parameter_name", type], `${where} parameter`) && ok;
  if (type === "text") ok = fake.check(typeof p.text === "string" && p.text !== "", `${where}: a text parameter needs its text`) && ok;
  if (type === "image" || type === "video" || type === "document") {
    const media = p[type];
    ok = fake.check(isObject(media) && isHttpUrl(media.link), `${where}: a ${type} parameter needs ${type}.link`) && ok;
  }
  return ok;
}

function checkTemplate(fake: FakeRecorder, template: Body): boolean {
  let ok = onlyFields(fake, template, ["name", "language", "components"], "template");
  ok = fake.check(typeof template.name === "string" && /^[a-z0-9_]+$/.test(template.name), "template.name must be a template name") && ok;
  const language = template.language;
  ok = fake.check(isObject(language) && typeof language.code === "string" && language.code !== "", "template.language.code is required") && ok;
  if (isObject(language)) ok = onlyFields(fake, language, ["code", "policy"], "template.language") && ok;
  if (!("components" in template)) return ok;
  const components = template.components;
  if (!fake.check(Array.isArray(components) && components.length > 0, "template.components must be a non-empty array")) return false;
  for (const [i, component] of (components as unknown[]).entries()) {
    const where = `template.components[${i}]`;
    if (!fake.check(isObject(component), `${where} must be an object`)) return false;
    const c = component as Body;
    ok = fake.check(["header", "body", "button"].includes(String(c.type)), `${where}.type must be header, body or button`) && ok;
    ok = onlyFields(fake, c, ["type", "parameters", "sub_type", "index"], where) && ok;
    const params = c.parameters;
    ok = fake.check(Array.isArray(params) && params.length > 0, `${where}.parameters must be a non-empty array`) && ok;
    for (const p of Array.isArray(params) ? params : []) ok = checkParameter(fake, p, where) && ok;
  }
  return ok;
}

/** Checks one send body; true when Meta would accept it. */
export function checkMessageBody(fake: FakeRecorder, body: unknown): boolean {
  if (!fake.check(isObject(body), "the message must be a JSON object")) return false;
  const b = body as Body;
  let ok = fake.checkEqual(b.messaging_product, "whatsapp", "messaging_product");
  ok = fake.checkEqual(b.recipient_type, "individual", "recipient_type") && ok;
  ok = fake.check(typeof b.to === "string" && /^\d{7,15}$/.test(b.to), `to must be digits with the country code, got ${JSON.stringify(b.to)}`) && ok;
  const type = String(b.type);
  if (!fake.check(type in MEDIA_FIELDS || OTHER_TYPES.has(type), `unknown message type ${JSON.stringify(b.type)}`)) return false;
  for (const key of Object.keys(b)) ok = fake.check(TOP_FIELDS.has(key) || key === type, `${key} does not belong in a ${type} message`) && ok;
  const content = b[type];
  if (!fake.check(isObject(content), `a ${type} message needs its ${type} object`)) return false;
  if (type === "text") return checkText(fake, content as Body) && ok;
  if (type === "template") return checkTemplate(fake, content as Body) && ok;
  if (type in MEDIA_FIELDS) return checkMedia(fake, type, content as Body) && ok;
  return ok;
}
