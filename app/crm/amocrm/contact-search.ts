import { z } from "zod";
import { parsePhone } from "../../core/phone.js";
import type { AmoCrmClient } from "./client.js";

/** A contact whose PHONE field holds the number, with the leads linked to it. */
export interface MatchedContact {
  id: number;
  leadIds: number[];
}

const fieldSchema = z.looseObject({
  field_code: z.string().nullable().optional(),
  values: z.array(z.looseObject({ value: z.unknown() })).nullable().optional(),
});
/** 5.2 with `with=leads`: `_embedded.contacts[]`, each with `custom_fields_values` (null when none) and `_embedded.leads[]`. */
const contactsSchema = z.looseObject({
  _embedded: z.looseObject({
    contacts: z.array(
      z.looseObject({
        id: z.number().int().positive(),
        custom_fields_values: z.array(fieldSchema).nullable().optional(),
        _embedded: z.looseObject({ leads: z.array(z.looseObject({ id: z.number().int().positive() })).optional() }).optional(),
      }),
    ),
  }),
});
const leadsSchema = z.looseObject({
  _embedded: z.looseObject({
    leads: z.array(z.looseObject({ id: z.number().int().positive(), status_id: z.number().int() })),
  }),
});

/**
 * The closed stages every amoCRM pipeline has: 142 "won", 143 "lost" (amoCRM leads API docs; not
 * in reference/amocrm.md, [U]). A lead in any other stage is open.
 */
const CLOSED_STATUSES = new Set([142, 143]);
/** 5.7: list `limit` is at most 250; a phone shared by more contacts than this is not a person's. */
const SEARCH_LIMIT = 50;

/**
 * 5.2: `query` is a substring-ish full-text search and numbers are stored as typed (`+7 916…`,
 * `8 916…`), so we search the last ten digits, which every way of writing the number contains,
 * then keep only contacts whose PHONE values normalise (core/phone.ts) to exactly `phone`.
 * 204 (nothing found) is no match.
 */
export async function findContactsByPhone(client: AmoCrmClient, phone: string): Promise<MatchedContact[]> {
  const query = new URLSearchParams({ query: phone.slice(-10), with: "leads", limit: String(SEARCH_LIMIT) });
  const found = await client.request("GET", `/api/v4/contacts?${query}`, undefined, contactsSchema);
  if (!found) return [];
  return found._embedded.contacts
    .filter((contact) =>
      (contact.custom_fields_values ?? []).some(
        (field) =>
          field.field_code === "PHONE" &&
          (field.values ?? []).some((v) => {
            const parsed = parsePhone(v.value);
            return parsed.ok && parsed.phone === phone;
          }),
      ),
    )
    .map((contact) => ({ id: contact.id, leadIds: (contact._embedded?.leads ?? []).map((l) => l.id) }));
}

/** The leads among `ids` that are still open (`GET /api/v4/leads?filter[id][]=…`). */
export async function openLeadIds(client: AmoCrmClient, ids: readonly number[]): Promise<number[]> {
  const unique = [...new Set(ids)].slice(0, SEARCH_LIMIT);
  if (unique.length === 0) return [];
  const query = new URLSearchParams({ limit: String(SEARCH_LIMIT) });
  for (const id of unique) query.append("filter[id][]", String(id));
  const found = await client.request("GET", `/api/v4/leads?${query}`, undefined, leadsSchema);
  if (!found) return [];
  return found._embedded.leads.filter((l) => !CLOSED_STATUSES.has(l.status_id)).map((l) => l.id);
}
