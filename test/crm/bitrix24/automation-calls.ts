import type { BracketInput } from "../../../app/crm/bitrix24/bracket-form.js";
import type { Bitrix24Harness, InstalledPortal } from "./harness.js";

let runSerial = 0;

/** An event token shaped like the real dump's (5.2): `<workflow id>|<activity id>|<signature>`. */
export function newEventToken(): string {
  runSerial += 1;
  const workflow = `664fa13bbbb${String(runSerial).padStart(3, "0")}.99176768`;
  return `${workflow}|A40364_79843_85254_${String(57332 + runSerial)}|MS1ekdH9x0YpbJkLnQz0e9${runSerial}`;
}

/** `auth[...]` of a robot or SMS handler call (5.2, 6): the app's auth with the application_token. */
function callAuth(h: Bitrix24Harness, portal: InstalledPortal, applicationToken = portal.applicationToken) {
  return {
    access_token: portal.accessToken,
    refresh_token: portal.refreshToken,
    expires: "1716498251",
    expires_in: "3600",
    scope: "crm,imopenlines,imconnector,bizproc,messageservice,placement",
    domain: h.fake.host,
    server_endpoint: "https://oauth.bitrix.info/rest/",
    client_endpoint: `${h.fake.url}/rest/`,
    member_id: portal.memberId,
    status: "L",
    application_token: applicationToken,
    user_id: "16",
  };
}

/** The robot handler POST exactly as the real dump in 5.2 lays it out, form-encoded with bracket keys. */
export function postRobotRun(
  h: Bitrix24Harness,
  portal: InstalledPortal,
  eventToken: string,
  properties: { [key: string]: BracketInput },
  opts: { code?: string; applicationToken?: string; useSubscription?: string; documentId?: string[]; documentType?: string[]; timeoutDuration?: string } = {},
): Promise<Response> {
  const code = opts.code ?? "chatbridge_send";
  return h.postForm(`/b24/robots/${code}`, {
    workflow_id: eventToken.split("|")[0],
    code,
    document_id: opts.documentId ?? ["crm", "CCrmDocumentDeal", "DEAL_42"],
    document_type: opts.documentType ?? ["crm", "CCrmDocumentDeal", "DEAL"],
    event_token: eventToken,
    properties,
    use_subscription: opts.useSubscription ?? "Y",
    timeout_duration: opts.timeoutDuration ?? "660",
    ts: "1716494651",
    auth: callAuth(h, portal, opts.applicationToken),
  });
}

/** The SMS handler POST of 6, as the CRM card sends it (module_id=crm). */
export function postSms(
  h: Bitrix24Harness,
  portal: InstalledPortal,
  messageId: string,
  to: string,
  body: string,
  opts: { applicationToken?: string } = {},
): Promise<Response> {
  return h.postForm("/b24/sms", {
    module_id: "crm",
    bindings: [{ OWNER_TYPE_ID: "3", OWNER_ID: "109286" }],
    properties: { phone_number: to, message_text: body },
    type: "SMS",
    code: "chatbridge_sms",
    message_id: messageId,
    message_to: to,
    message_body: body,
    ts: "1742895600",
    auth: callAuth(h, portal, opts.applicationToken),
  });
}
