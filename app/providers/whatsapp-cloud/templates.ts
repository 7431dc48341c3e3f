import { type MessageTemplate, ProviderPermanentError, type TemplateInfo } from "../types.js";
import { type Ctx, graphCall } from "./client.js";
import { templatesPageSchema } from "./schema.js";

/** Enough for any real WABA (100 per page); a cursor that never ends must not loop forever. */
const MAX_PAGES = 20;
const FIELDS = "name,language,status,category,components";

/**
 * Distinct variables in a template text: positional `{{1}}` (counted once however often they
 * appear) and named `{{first_name}}` of templates created with parameter_format NAMED [U: named
 * variables are not in the sheet; Meta's template guide shows them].
 */
export function countParams(text: string | undefined): number {
  if (!text) return 0;
  return new Set(Array.from(text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g), (m) => m[1])).size;
}

/** Every template of the WABA, all statuses, following `paging.cursors.after` (channels-next.md 2 "Templates"). */
export async function listTemplates(ctx: Ctx): Promise<TemplateInfo[]> {
  const templates: TemplateInfo[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await graphCall(ctx, `${ctx.credentials.wabaId}/message_templates`, templatesPageSchema, {
      query: { limit: 100, fields: FIELDS, after },
    });
    for (const t of answer.data) {
      const part = (type: string) => t.components.find((c) => c.type.toUpperCase() === type);
      const header = part("HEADER");
      const body = part("BODY")?.text ?? "";
      const footer = part("FOOTER")?.text;
      templates.push({
        name: t.name,
        language: t.language,
        category: t.category,
        status: t.status,
        body,
        ...(header ? { header: { format: header.format ?? "TEXT", ...(header.text !== undefined ? { text: header.text } : {}) } } : {}),
        ...(footer !== undefined ? { footer } : {}),
        // only a TEXT header has variables; media headers take a link at send time
        headerParams: (header?.format ?? "TEXT").toUpperCase() === "TEXT" ? countParams(header?.text) : 0,
        bodyParams: countParams(body),
      });
    }
    // Graph gives `next` only while another page exists; the cursor alone is present on the last page too
    after = answer.paging?.next ? answer.paging.cursors?.after : undefined;
    if (!after) return templates;
  }
  ctx.logger.warn("whatsapp-cloud: template list cut at the page limit", { channelId: ctx.channelId, pages: MAX_PAGES });
  return templates;
}

type HeaderMediaType = "image" | "video" | "document";

/** A media header's type from the link's extension: Meta checks it against the template's format. */
export function headerMediaType(url: string): HeaderMediaType {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // not a URL: the fake or Graph refuses it; the extension guess still applies
  }
  const ext = path.split(".").at(-1)?.toLowerCase() ?? "";
  if (["jpg", "jpeg", "png"].includes(ext)) return "image";
  if (["mp4", "3gp", "3gpp"].includes(ext)) return "video";
  return "document";
}

interface TextParam {
  type: "text";
  text: string;
  parameter_name?: string;
}

/**
 * Body values in variable order: `{"1": …, "2": …}` by number. Non-numeric keys are named
 * variables and carry `parameter_name` [U: named parameters, see countParams].
 */
function bodyParams(params: Record<string, string>): TextParam[] {
  const entries = Object.entries(params);
  const numeric = entries.every(([k]) => /^\d+$/.test(k));
  if (numeric) return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, text]) => ({ type: "text", text }));
  return entries.map(([name, text]) => ({ type: "text", parameter_name: name, text }));
}

/** The `template` object of a send (channels-next.md 2 "Templates"); empty components are left out. */
export function templateObject(template: MessageTemplate, defaultLanguage: string | undefined): Record<string, unknown> {
  if (!template.id.trim()) throw new ProviderPermanentError("template_invalid", "the template has no name");
  if (template.headerParams?.length && template.headerMediaUrl) {
    throw new ProviderPermanentError("template_invalid", "a template header is either text with variables or media, not both");
  }
  const components: Array<Record<string, unknown>> = [];
  if (template.headerParams?.length) {
    components.push({ type: "header", parameters: template.headerParams.map((text) => ({ type: "text", text })) });
  } else if (template.headerMediaUrl) {
    const type = headerMediaType(template.headerMediaUrl);
    components.push({ type: "header", parameters: [{ type, [type]: { link: template.headerMediaUrl } }] });
  }
  const body = bodyParams(template.params ?? {});
  if (body.length) components.push({ type: "body", parameters: body });
  return {
    name: template.id,
    language: { code: template.language ?? defaultLanguage ?? "en_US" },
    ...(components.length ? { components } : {}),
  };
}
