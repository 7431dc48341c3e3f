import type { Context, Hono } from "hono";
import { contactJson, type FakeContact, type FakeLead, type FakeNote, type FakeUser, noteValidationErrors, problem } from "./fake-amocrm-wire.js";

export interface ContinueCall {
  bot: "salesbot" | "marketingbot";
  botId: string;
  continueId: string;
  body: unknown;
  authorization: string | undefined;
}

/** What the REST API answers from: the account FakeAmoCrm (fake-amocrm.ts) holds. */
export interface FakeAmoAccountData {
  readonly url: string;
  readonly accountId: number;
  readonly subdomain: string;
  readonly amojoId: string;
  readonly country: string | null;
  readonly contacts: Map<number, FakeContact>;
  readonly leads: Map<number, FakeLead>;
  readonly notes: FakeNote[];
  readonly users: Map<number, FakeUser>;
  readonly continues: ContinueCall[];
  /** `botId/continueId` pairs already continued */
  readonly continued: Set<string>;
  nextId(): number;
}

/**
 * The REST v4 pieces the connector uses (reference/amocrm.md 5.1, 5.2, 5.5, 4.2 continue,
 * users), in the sheet's shapes: HAL bodies, problem+json, 204 for empty searches. The caller
 * checks the Bearer token before these routes.
 */
export function mountRestApi(app: Hono, account: FakeAmoAccountData): void {
  app.get("/api/v4/account", (c) => {
    const withs = (c.req.query("with") ?? "").split(",");
    return c.json({
      id: account.accountId,
      name: `Account ${account.subdomain}`,
      subdomain: account.subdomain,
      created_at: 1585840134,
      current_user_id: 1,
      ...(account.country === null ? {} : { country: account.country }),
      currency: "RUB",
      is_technical_account: false,
      ...(withs.includes("amojo_id") ? { amojo_id: account.amojoId } : {}),
      _links: { self: { href: `${account.url}/api/v4/account` } },
    });
  });

  app.get("/api/v4/users/:id", (c) => {
    const user = account.users.get(Number(c.req.param("id")));
    if (!user) return c.json(problem(404, "Not Found", "User not found"), 404);
    return c.json({
      id: user.id,
      name: user.name,
      email: `user${user.id}@example.com`,
      lang: "ru",
      rights: { is_admin: user.isAdmin, is_free: false, is_active: true, group_id: null, role_id: null },
      _links: { self: { href: `${account.url}/api/v4/users/${user.id}` } },
    });
  });

  app.get("/api/v4/contacts", (c) => {
    const query = (c.req.query("query") ?? "").trim();
    const withLeads = (c.req.query("with") ?? "").split(",").includes("leads");
    const digits = query.replace(/\D/g, "");
    // 5.2: full-text search over filled fields; phones match as substrings of their digits
    const found = [...account.contacts.values()].filter(
      (k) => query !== "" && (k.name.includes(query) || (digits !== "" && k.phones.some((p) => p.replace(/\D/g, "").includes(digits)))),
    );
    if (found.length === 0) return c.body(null, 204);
    return c.json({
      _page: 1,
      _links: { self: { href: `${account.url}/api/v4/contacts?${new URL(c.req.url).searchParams}` } },
      _embedded: { contacts: found.map((k) => contactJson(account.url, account.accountId, k, withLeads)) },
    });
  });

  app.get("/api/v4/leads", (c) => {
    const ids = new URL(c.req.url).searchParams
      .getAll("filter[id][]")
      .concat([...new URL(c.req.url).searchParams.entries()].filter(([k]) => /^filter\[id\]\[\d+\]$/.test(k)).map(([, v]) => v))
      .map(Number);
    const found = [...account.leads.values()].filter((l) => ids.length === 0 || ids.includes(l.id));
    if (found.length === 0) return c.body(null, 204);
    return c.json({
      _page: 1,
      _links: { self: { href: `${account.url}/api/v4/leads` } },
      _embedded: {
        leads: found.map((l) => ({
          ...l,
          price: 0,
          responsible_user_id: 1,
          closed_at: l.status_id === 142 || l.status_id === 143 ? 1700000000 : null,
          is_deleted: false,
          account_id: account.accountId,
          _links: { self: { href: `${account.url}/api/v4/leads/${l.id}` } },
        })),
      },
    });
  });

  app.post("/api/v4/:entity{contacts|leads}/notes", async (c) => addNotes(c, account, c.req.param("entity") === "leads" ? "leads" : "contacts"));

  // one entity by id (Salesbot / DP recipient lookup); with=contacts lists the lead's contacts, the first is_main
  app.get("/api/v4/leads/:id{[0-9]+}", (c) => {
    const lead = account.leads.get(Number(c.req.param("id")));
    if (!lead) return c.body(null, 204);
    const linked = [...account.contacts.values()].filter((k) => k.leadIds.includes(lead.id));
    const withContacts = (c.req.query("with") ?? "").split(",").includes("contacts");
    return c.json({
      ...lead,
      account_id: account.accountId,
      _links: { self: { href: `${account.url}/api/v4/leads/${lead.id}` } },
      _embedded: {
        tags: [],
        companies: [],
        ...(withContacts
          ? { contacts: linked.map((k, i) => ({ id: k.id, is_main: i === 0, _links: { self: { href: `${account.url}/api/v4/contacts/${k.id}` } } })) }
          : {}),
      },
    });
  });
  app.get("/api/v4/contacts/:id{[0-9]+}", (c) => {
    const contact = account.contacts.get(Number(c.req.param("id")));
    return contact ? c.json(contactJson(account.url, account.accountId, contact, false)) : c.body(null, 204);
  });

  app.post("/api/v4/:bot{salesbot|marketingbot}/:botId/continue/:continueId", async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined);
    const key = `${c.req.param("botId")}/${c.req.param("continueId")}`;
    const bot = c.req.param("bot") === "marketingbot" ? "marketingbot" : "salesbot";
    account.continues.push({ bot, botId: c.req.param("botId"), continueId: c.req.param("continueId"), body, authorization: c.req.header("authorization") });
    // 4.2: 404 when no widget step waits (already continued or expired)
    if (account.continued.has(key)) return c.json(problem(404, "Not Found", "Bot is not waiting for this step"), 404);
    account.continued.add(key);
    return c.body(null, 202);
  });
}

/** 5.5: `POST /api/v4/{contacts|leads}/notes`, a batch validated as a whole. */
async function addNotes(c: Context, account: FakeAmoAccountData, entityType: "contacts" | "leads") {
  const body: unknown = await c.req.json().catch(() => undefined);
  if (!Array.isArray(body) || body.length === 0) return c.json(problem(400, "Bad Request", "Request validation failed"), 400);
  const known = entityType === "leads" ? account.leads : account.contacts;
  const errors = noteValidationErrors(body, known);
  if (errors.length) {
    return c.json(problem(400, "Bad Request", "Request validation failed", { "validation-errors": errors }), 400, { "content-type": "application/problem+json" });
  }
  const added = body.map((item: { entity_id: number; note_type: string; params: Record<string, unknown> }, i) => {
    const note: FakeNote = { id: account.nextId(), entityType, entity_id: item.entity_id, note_type: item.note_type, params: item.params };
    account.notes.push(note);
    return { id: note.id, entity_id: note.entity_id, request_id: String(i), _links: { self: { href: `${account.url}/api/v4/${entityType}/${note.entity_id}/notes/${note.id}` } } };
  });
  return c.json({ _links: { self: { href: `${account.url}/api/v4/${entityType}/notes` } }, _embedded: { notes: added } });
}
