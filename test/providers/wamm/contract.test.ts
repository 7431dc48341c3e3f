import checkPhone from "../../../app/providers/wamm/fixtures/check-phone.json";
import fileTo from "../../../app/providers/wamm/fixtures/file-to.json";
import msgTo from "../../../app/providers/wamm/fixtures/msg-to.json";
import { wamm } from "../../../app/providers/wamm/index.js";
import { type ContractCall, describeProviderContract, type ExpectedError } from "../contract.js";
import { createWammFake, WAMM_NO_WHATSAPP, WAMM_TOKEN } from "./fake.js";

/** WAMM answers errors with HTTP 200 and a string in `err` (seed 002). */
const wammError = (name: string, call: ContractCall, err: string, expect: ExpectedError) => ({
  name: `${name}: {"err":"${err}"} with HTTP 200`,
  call,
  answer: { status: 200, body: { err } },
  expect,
});

describeProviderContract({
  provider: wamm,
  createFake: (fake) => createWammFake(fake),
  target: (baseUrl) => ({ credentials: { token: WAMM_TOKEN, apiUrl: baseUrl }, messenger: "whatsapp" }),
  withWrongSecret: (creds) => ({ ...(creds as object), token: "wrong-token" }),
  credentials: {
    valid: [{ token: "abc123" }, { token: "abc123", apiUrl: "https://wamm.chat" }],
    invalid: [{ token: "" }, { token: "abc/../x" }, { token: "abc", apiUrl: "wamm.chat" }],
  },
  sendText: { to: { phone: "79001234567" }, text: "Здравствуйте!\nВаш заказ готов.", providerMessageId: String(msgTo.body.msg_id) },
  sendFile: [
    {
      name: "a picture by public URL",
      to: { phone: "79001234567" },
      file: { type: "file", url: "https://wamm.chat/i/images/wamm-chat-logo.png" },
      providerMessageId: String(fileTo.body.msg_id),
    },
  ],
  checkPhone: { exists: { phone: "79001234567" }, missing: { phone: WAMM_NO_WHATSAPP } },
  status: [
    { name: "a working account with no messages yet (msgs not be) -> connected", expect: { state: "connected" } },
    { name: "acc not authorized -> qr_required", answer: { status: 200, body: { err: "acc not authorized" } }, expect: { state: "qr_required" } },
    { name: "token fail -> unauthorized", answer: { status: 200, body: { err: "token fail" } }, expect: { state: "unauthorized" } },
  ],
  // no push webhooks: inbound is polled (wamm.test.ts)
  webhooks: [],
  rejectedWebhooks: [
    { name: "any POST to the WAMM receiver (WAMM sends none)", request: { body: { err: 0, msg_id: 1 } }, expect: "payload" },
  ],
  errors: {
    specific: [
      wammError("token", "sendText", "token fail", { retryable: false, code: "invalid_credentials" }),
      wammError("session down", "sendText", "acc not authorized", { retryable: false, code: "not_connected" }),
      wammError("bad phone", "sendText", "phone fail", { retryable: false, code: "bad_number" }),
      wammError("no WhatsApp", "sendText", "no WhatsApp on the number", { retryable: false, code: "no_messenger" }),
      wammError("number not checked yet", "sendText", "phone not checked for WhatsApp, please retry", { retryable: true, code: "server_error" }),
      wammError("empty text", "sendText", "text fail", { retryable: false, code: "bad_request" }),
      wammError("text too long", "sendText", "text fail, more 1500", { retryable: false, code: "bad_request" }),
      wammError("bad file URL", "sendFile", "url fail", { retryable: false, code: "bad_request" }),
      {
        name: `check failed, retry: ${JSON.stringify(checkPhone.error)} with HTTP 200`,
        call: "checkPhone",
        answer: { status: 200, body: checkPhone.error },
        expect: { retryable: true, code: "server_error" },
      },
      wammError("an error string the seed does not list", "sendText", "something new", { retryable: false, code: "rejected" }),
    ],
  },
});
