import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../db/index.js";
import { channelTemplates, type MessageTemplateRef } from "../db/schema.js";
import type { AppDeps } from "../deps.js";
import type { TemplateInfo } from "../providers/types.js";
import { type Channel, type ProviderDeps, providerContext, providerOf } from "./channels.js";
import { AppError } from "./errors.js";

export type TemplateRow = typeof channelTemplates.$inferSelect;

/** Only approved templates can be sent (channels-next.md 2 "Templates"). */
export const SENDABLE_STATUS = "APPROVED";

export function channelHasTemplates(channel: Channel): boolean {
  return providerOf(channel).capabilities.templates === true;
}

/**
 * Asks the provider for the channel's templates and replaces the stored list with them in one
 * transaction, so readers see the old list or the new one, never half of each.
 */
export async function syncChannelTemplates(deps: ProviderDeps & Pick<AppDeps, "db">, channel: Channel): Promise<TemplateRow[]> {
  const provider = providerOf(channel);
  if (!provider.templates || !channelHasTemplates(channel)) {
    throw new AppError("unsupported", `${provider.title} has no message templates`);
  }
  const listed = await provider.templates(await providerContext(deps, channel));
  const now = deps.clock.now();
  // one row per name + language: a provider listing the same pair twice keeps the last
  const unique = new Map<string, TemplateInfo>();
  for (const t of listed) unique.set(`${t.name}\u0000${t.language}`, t);
  await deps.db.transaction(async (tx) => {
    await tx.delete(channelTemplates).where(eq(channelTemplates.channelId, channel.id));
    if (unique.size === 0) return;
    await tx.insert(channelTemplates).values(
      [...unique.values()].map((t) => ({
        channelId: channel.id,
        name: t.name,
        language: t.language,
        category: t.category,
        status: t.status,
        body: t.body,
        header: t.header ?? null,
        footer: t.footer ?? null,
        headerParams: t.headerParams,
        bodyParams: t.bodyParams,
        syncedAt: now,
      })),
    );
  });
  return listChannelTemplates(deps.db, channel.id);
}

export async function listChannelTemplates(db: Db, channelId: string): Promise<TemplateRow[]> {
  return db
    .select()
    .from(channelTemplates)
    .where(eq(channelTemplates.channelId, channelId))
    .orderBy(asc(channelTemplates.name), asc(channelTemplates.language));
}

/** What a sender asks for: a template by name, optionally its language, and its values in order. */
export interface TemplateChoice {
  name: string;
  language?: string | undefined;
  params: string[];
  headerParams?: string[] | undefined;
  headerMediaUrl?: string | undefined;
}

/** Fills `{{1}}`, `{{2}}`… (and named `{{name}}` in order of appearance) with the values given. */
export function fillTemplateText(text: string, values: readonly string[]): string {
  const order: string[] = [];
  for (const m of text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)) if (!order.includes(m[1]!)) order.push(m[1]!);
  return text.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (whole, key: string) => {
    const index = /^\d+$/.test(key) ? Number(key) - 1 : order.indexOf(key);
    return values[index] ?? whole;
  });
}

/** The text people see for a template send: header, body and footer with the values filled in. */
export function renderTemplate(row: TemplateRow, choice: TemplateChoice): string {
  const parts: string[] = [];
  if (row.header?.text) parts.push(fillTemplateText(row.header.text, choice.headerParams ?? []));
  parts.push(fillTemplateText(row.body, choice.params));
  if (row.footer) parts.push(row.footer);
  return parts.join("\n");
}

const HTTP_LINK = /^https?:\/\/\S+$/i;

/**
 * Values given in one list, as a person reads the template (the `/template` command, a robot's
 * values): when there is one more than the body takes and the header is an image, video or
 * document, the first is its link; when there are as many as header and body take together,
 * the header's come first. Header values given apart are left as they are.
 */
function inReadingOrder(row: TemplateRow, choice: TemplateChoice): TemplateChoice {
  if (choice.headerParams?.length || choice.headerMediaUrl) return choice;
  const { params } = choice;
  const mediaHeader = row.header && row.header.format !== "TEXT" && row.header.format !== "LOCATION";
  if (mediaHeader && params.length === row.bodyParams + 1 && HTTP_LINK.test(params[0] ?? "")) {
    return { ...choice, headerMediaUrl: params[0], params: params.slice(1) };
  }
  if (row.headerParams > 0 && params.length === row.headerParams + row.bodyParams) {
    return { ...choice, headerParams: params.slice(0, row.headerParams), params: params.slice(row.headerParams) };
  }
  return choice;
}

function pick(rows: TemplateRow[], choice: TemplateChoice): TemplateRow | undefined {
  const named = rows.filter((r) => r.name === choice.name);
  if (choice.language) return named.find((r) => r.language === choice.language);
  return named.find((r) => r.status === SENDABLE_STATUS) ?? named[0];
}

/**
 * Checks a template send against the channel's templates (synced once more when the name is
 * unknown, so a template approved a minute ago works) and returns what the message row keeps:
 * the reference the provider gets and the text people read. `template_invalid` says why not.
 */
export async function prepareTemplateSend(
  deps: ProviderDeps & Pick<AppDeps, "db">,
  channel: Channel,
  given: TemplateChoice,
): Promise<{ ref: MessageTemplateRef; text: string; row: TemplateRow }> {
  if (!channelHasTemplates(channel)) {
    throw new AppError("unsupported", `${providerOf(channel).title} has no message templates: sendText works without one`);
  }
  let choice = given;
  let rows = await listChannelTemplates(deps.db, channel.id);
  if (!pick(rows, choice)) rows = await syncChannelTemplates(deps, channel);
  const row = pick(rows, choice);
  if (!row) {
    const known = [...new Set(rows.filter((r) => r.status === SENDABLE_STATUS).map((r) => r.name))].slice(0, 20).join(", ");
    throw new AppError(
      "template_invalid",
      `template ${choice.name}${choice.language ? ` (${choice.language})` : ""} does not exist on this number${known ? `; approved: ${known}` : ""}`,
      { field: "template" },
    );
  }
  choice = inReadingOrder(row, choice);
  if (row.status !== SENDABLE_STATUS) {
    throw new AppError("template_invalid", `template ${row.name} (${row.language}) is ${row.status}, not approved by WhatsApp`, { field: "template" });
  }
  const givenHeader = choice.headerParams?.length ?? 0;
  if (choice.params.length !== row.bodyParams || givenHeader !== row.headerParams) {
    const got = choice.params.length + givenHeader;
    const wants =
      row.headerParams > 0
        ? `${row.headerParams} for the header first, then ${row.bodyParams} for the body: ${row.headerParams + row.bodyParams} in all`
        : `${row.bodyParams}`;
    throw new AppError("template_invalid", `template ${row.name} takes ${wants} value(s), got ${got}`, {
      field: choice.params.length !== row.bodyParams ? "params" : "header_params",
    });
  }
  const mediaHeader = row.header && row.header.format !== "TEXT" && row.header.format !== "LOCATION";
  if (mediaHeader && !choice.headerMediaUrl) {
    throw new AppError("template_invalid", `template ${row.name} has a ${row.header!.format.toLowerCase()} header: give its link in header_url (or as the first value)`, {
      field: "header_url",
    });
  }
  const ref: MessageTemplateRef = {
    name: row.name,
    language: row.language,
    params: choice.params,
    ...(choice.headerParams?.length ? { headerParams: choice.headerParams } : {}),
    ...(mediaHeader && choice.headerMediaUrl ? { headerMediaUrl: choice.headerMediaUrl } : {}),
  };
  return { ref, text: renderTemplate(row, choice), row };
}

/** A channel's approved templates as a short human list (the `/template` command's answer, error texts). */
export async function describeTemplates(db: Db, channelId: string): Promise<string> {
  const rows = (await listChannelTemplates(db, channelId)).filter((r) => r.status === SENDABLE_STATUS);
  if (rows.length === 0) return "";
  return rows
    .map((r) => {
      const values = r.headerParams + r.bodyParams;
      const media = r.header && r.header.format !== "TEXT" && r.header.format !== "LOCATION" ? `, a ${r.header.format.toLowerCase()} link first` : "";
      return `${r.name} (${r.language}, ${values} value${values === 1 ? "" : "s"}${media}): ${r.body.slice(0, 80)}`;
    })
    .join("\n");
}

export async function findTemplateRow(db: Db, channelId: string, name: string, language: string): Promise<TemplateRow | undefined> {
  const [row] = await db
    .select()
    .from(channelTemplates)
    .where(and(eq(channelTemplates.channelId, channelId), eq(channelTemplates.name, name), eq(channelTemplates.language, language)));
  return row;
}
