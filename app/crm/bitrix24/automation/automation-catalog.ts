import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import { providerOf } from "../../../core/channels.js";
import { languageOfDomain, type NoteLanguage } from "../../../core/failure-texts.js";
import { channelHasTemplates, SENDABLE_STATUS } from "../../../core/templates.js";
import type { Db } from "../../../db/index.js";
import { channels, channelTemplates } from "../../../db/schema.js";
import type { PortalRow } from "../portal-auth.js";

/** One choice of a robot's `select` property (5.1 `Options`: key -> label). */
export interface CatalogOption {
  key: string;
  label: string;
}

/**
 * What the robots' select properties offer on one portal (5.1: `select` + `Options`, fixed at
 * registration, hence re-registered when it changes: refresh.ts): its live channels, those
 * whose provider has templates, and the approved templates of those.
 */
export interface AutomationCatalog {
  channels: CatalogOption[];
  templateChannels: CatalogOption[];
  /** key `name|language`, label `name (language)` */
  templates: CatalogOption[];
  /** the option labels' language; undefined (install: no portal yet read) = both */
  language?: NoteLanguage;
}

/**
 * At install the portal has no channels: they are created afterwards in the settings page, and
 * an uninstall retires them (core/channels.ts retirePortalChannels).
 */
export const EMPTY_CATALOG: AutomationCatalog = { channels: [], templateChannels: [], templates: [] };

const MESSENGER_TITLE = { whatsapp: "WhatsApp", telegram: "Telegram" } as const;

/** `Sales (wappi, WhatsApp)`: the name the admin gave, the provider and the messenger, since one provider may serve both. */
function channelLabel(channel: { name: string; provider: string; messenger: keyof typeof MESSENGER_TITLE }): string {
  return `${channel.name} (${channel.provider}, ${MESSENGER_TITLE[channel.messenger]})`;
}

/** Separates a template option key's name and language; a language code never holds `|` (Meta: `en_US`, `ru`). */
export const TEMPLATE_KEY_SEPARATOR = "|";

export function templateKey(name: string, language: string): string {
  return `${name}${TEMPLATE_KEY_SEPARATOR}${language}`;
}

/** The portal's live channels and their approved templates, oldest channel first, templates by name. */
export async function automationCatalog(db: Db, portal: Pick<PortalRow, "id" | "domain">): Promise<AutomationCatalog> {
  const live = await db
    .select()
    .from(channels)
    .where(and(eq(channels.portalId, portal.id), isNull(channels.deletedAt)))
    .orderBy(asc(channels.createdAt), asc(channels.id));
  // a channel whose provider this version does not know (a rolling deploy) is not offered
  const known = live.filter((c) => {
    try {
      providerOf(c);
      return true;
    } catch {
      return false;
    }
  });
  const withTemplates = known.filter((c) => channelHasTemplates(c));
  const rows =
    withTemplates.length === 0
      ? []
      : await db
          .selectDistinct({ name: channelTemplates.name, language: channelTemplates.language })
          .from(channelTemplates)
          .where(and(inArray(channelTemplates.channelId, withTemplates.map((c) => c.id)), eq(channelTemplates.status, SENDABLE_STATUS)))
          .orderBy(asc(channelTemplates.name), asc(channelTemplates.language));
  return {
    channels: known.map((c) => ({ key: c.id, label: channelLabel(c) })),
    templateChannels: withTemplates.map((c) => ({ key: c.id, label: channelLabel(c) })),
    templates: rows.map((t) => ({ key: templateKey(t.name, t.language), label: `${t.name} (${t.language})` })),
    language: languageOfDomain(portal.domain),
  };
}
