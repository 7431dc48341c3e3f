import { z } from "zod";
import { parsePhone } from "../../../core/phone.js";
import { loadPortalRegion } from "../../../core/portal-region.js";
import { AmoCrmClient } from "../client.js";
import type { AmoCrmDeps } from "../deps.js";
import { AmoCrmError } from "../errors.js";

/** An amoCRM entity a bot or pipeline runs on. */
export interface EntityRef {
  kind: "leads" | "customers" | "contacts";
  id: string;
}

/**
 * The entity of a Salesbot token (`entity_type`, 4.2: numeric 2 lead / 12 customer per the SDK,
 * names per the docs [U]) or of a DP event (`element_type` 2 lead, 12 customer, 4.1). amoCRM's
 * element types put contacts at 1 [U: not in the sheet].
 */
export function entityRefOf(type: string | undefined, id: string | undefined): EntityRef | undefined {
  if (!id || !/^[1-9]\d{0,15}$/.test(id)) return undefined;
  const t = (type ?? "").trim().toLowerCase();
  if (t === "2" || t === "lead" || t === "leads") return { kind: "leads", id };
  if (t === "12" || t === "customer" || t === "customers") return { kind: "customers", id };
  if (t === "1" || t === "contact" || t === "contacts") return { kind: "contacts", id };
  return undefined;
}

/** `GET /api/v4/{leads|customers}/{id}?with=contacts`: the linked contacts, one of them main. */
const withContactsSchema = z.looseObject({
  _embedded: z
    .looseObject({ contacts: z.array(z.looseObject({ id: z.number().int(), is_main: z.boolean().optional() })).optional() })
    .optional(),
});

/** `GET /api/v4/contacts/{id}`: the PHONE field's values (5.3; custom_fields_values is null when empty). */
const contactSchema = z.looseObject({
  id: z.number().int(),
  custom_fields_values: z
    .array(
      z.looseObject({
        field_code: z.string().nullable().optional(),
        values: z.array(z.looseObject({ value: z.union([z.string(), z.number()]).nullable().optional() })).nullable().optional(),
      }),
    )
    .nullable()
    .optional(),
});

export type RecipientLookup = { ok: true; phone: string; contactId: string } | { ok: false; error: string };

const ENTITY_NAME = { leads: "lead", customers: "customer", contacts: "contact" } as const;

/** A missing entity (204, 4xx 404) or one our grant may not read (403) is an answer, not a failure to retry. */
async function fetchOrMissing<S extends z.ZodType>(client: AmoCrmClient, path: string, schema: S): Promise<z.output<S> | null> {
  try {
    return await client.request("GET", path, undefined, schema);
  } catch (err) {
    if (err instanceof AmoCrmError && (err.status === 404 || err.status === 403)) return null;
    throw err;
  }
}

async function mainContactOf(client: AmoCrmClient, entity: EntityRef): Promise<{ id: string } | { error: string }> {
  if (entity.kind === "contacts") return { id: entity.id };
  const found = await fetchOrMissing(client, `/api/v4/${entity.kind}/${entity.id}?with=contacts`, withContactsSchema);
  if (!found) return { error: `${ENTITY_NAME[entity.kind]} ${entity.id} not found` };
  const linked = found._embedded?.contacts ?? [];
  const main = linked.find((k) => k.is_main === true) ?? linked[0];
  if (!main) return { error: `${ENTITY_NAME[entity.kind]} ${entity.id} has no contact` };
  return { id: String(main.id) };
}

/**
 * Whom a bot or pipeline on this entity writes to: the main contact of the lead or customer (or
 * the contact itself) and the first of its PHONE values that is a phone number, read in the
 * account's region (managers type contacts' numbers the local way, `8 029…`, `020 7946…`).
 * Rate limits and outages throw (AmoCrmRetryableError) so the job comes back; everything else
 * is an answer.
 */
export async function lookupRecipientPhone(deps: AmoCrmDeps, portalId: string, entity: EntityRef): Promise<RecipientLookup> {
  const client = new AmoCrmClient(deps, portalId);
  try {
    const main = await mainContactOf(client, entity);
    if ("error" in main) return { ok: false, error: main.error };
    const contact = await fetchOrMissing(client, `/api/v4/contacts/${main.id}`, contactSchema);
    if (!contact) return { ok: false, error: `contact ${main.id} not found` };
    const region = await loadPortalRegion(deps.db, portalId);
    const phones = (contact.custom_fields_values ?? []).filter((f) => f.field_code === "PHONE").flatMap((f) => f.values ?? []);
    for (const { value } of phones) {
      const phone = parsePhone(value ?? "", region);
      if (phone.ok) return { ok: true, phone: phone.phone, contactId: main.id };
    }
    return { ok: false, error: phones.length === 0 ? `contact ${main.id} has no phone` : `contact ${main.id} has no valid phone number` };
  } catch (err) {
    if (err instanceof AmoCrmError) return { ok: false, error: `amoCRM: ${err.message}` };
    throw err;
  }
}
