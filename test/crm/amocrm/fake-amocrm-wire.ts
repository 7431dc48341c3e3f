/**
 * amoCRM's wire shapes as the fake account answers them (reference/amocrm.md 5: HAL bodies,
 * problem+json errors; 6.2 pitfall 1: the OAuth problem of a revoked token).
 */

export interface FakeContact {
  id: number;
  name: string;
  /** PHONE values exactly as stored (5.2: "stored as typed") */
  phones: string[];
  leadIds: number[];
}

export interface FakeLead {
  id: number;
  name: string;
  pipeline_id: number;
  /** 142 won and 143 lost are the closed stages of every pipeline */
  status_id: number;
}

export interface FakeNote {
  id: number;
  entityType: "contacts" | "leads";
  entity_id: number;
  note_type: string;
  params: Record<string, unknown>;
}

export interface FakeUser {
  id: number;
  name: string;
  isAdmin: boolean;
}

/** 6.2 pitfall 1, verbatim shape: what a spent or revoked refresh token gets. */
export const REVOKED_BODY = {
  hint: "Token has been revoked",
  title: "Некорректный запрос",
  type: "https://developers.amocrm.ru/v3/errors/OAuthProblemJson",
  status: 401,
  detail: "В запросе отсутствует ряд параметров или параметры невалидны",
};

/** The OAuth endpoint's problem body (1.4 "HTTP 400 with details in body"; 6.2 pitfall 1 for 401). */
export const oauthProblem = (status: number, hint: string) => ({ ...REVOKED_BODY, hint, status });

/** 5.7 problem+json. */
export const problem = (status: number, title: string, detail: string, extra: Record<string, unknown> = {}) => ({
  title,
  type: `https://httpstatus.es/${status}`,
  status,
  detail,
  ...extra,
});

/** 5.2: a contact as `GET /api/v4/contacts` lists it, with its PHONE values and, with `with=leads`, its leads. */
export function contactJson(base: string, accountId: number, k: FakeContact, withLeads: boolean) {
  return {
    id: k.id,
    name: k.name,
    responsible_user_id: 1,
    account_id: accountId,
    custom_fields_values: [
      {
        field_id: 264911,
        field_name: "Телефон",
        field_code: "PHONE",
        field_type: "multitext",
        values: k.phones.map((value) => ({ value, enum_id: 525581, enum_code: "WORK" })),
      },
    ],
    _links: { self: { href: `${base}/api/v4/contacts/${k.id}` } },
    _embedded: {
      tags: [],
      companies: [],
      ...(withLeads ? { leads: k.leadIds.map((id) => ({ id, _links: { self: { href: `${base}/api/v4/leads/${id}` } } })) } : {}),
    },
  };
}

/** 5.5/5.7: what amoCRM says about a notes batch, as `validation-errors` entries (empty when it is fine). */
export function noteValidationErrors(body: unknown[], known: ReadonlyMap<number, unknown>) {
  return body.flatMap((item: unknown, i) => {
    const n = item as { entity_id?: unknown; note_type?: unknown; params?: { text?: unknown } };
    const problems: Array<{ code: string; path: string; detail: string }> = [];
    if (typeof n.entity_id !== "number" || !known.has(n.entity_id)) problems.push({ code: "NotFound", path: "entity_id", detail: "Entity not found" });
    if (n.note_type !== "common" && n.note_type !== "service_message") problems.push({ code: "NotSupportedChoice", path: "note_type", detail: "The value you selected is not a valid choice." });
    if (typeof n.params?.text !== "string" || n.params.text === "") problems.push({ code: "NotBlank", path: "params.text", detail: "This value should not be blank." });
    return problems.length ? [{ request_id: String(i), errors: problems }] : [];
  });
}
