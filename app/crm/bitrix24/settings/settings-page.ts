import { html, raw } from "hono/html";
import type { ChannelView } from "../../../core/admin-channels.js";
import type { ErrorCode } from "../../../core/errors.js";
import { BX24_SCRIPT_URL, embedJson } from "./frame-page-security.js";
import { type PageLanguage, type PageTexts, type TextKey, fillText } from "./page-texts.js";
import { SETTINGS_PAGE_SCRIPT } from "./page-script.js";
import { SETTINGS_PAGE_STYLES } from "./page-styles.js";

/** Everything the page script starts from; embedded as JSON, read with JSON.parse. */
export interface SettingsBoot {
  /** the admin bearer token for /api/* (POST /api/session's token) */
  token: string;
  /** where /api is, relative to the page's own URL, so a path prefix in front of the app still works */
  apiBase: string;
  lang: PageLanguage;
  texts: PageTexts;
  /** the Open Line of the connector placement; null on the app page */
  line: string | null;
  boundChannelId: string | null;
  /** the first paint's channel list, the same shape GET /api/channels answers */
  channels: ChannelView[];
  /** `<PUBLIC_URL>/docs?lang=<lang>`: the webhook API's docs; each channel's link adds `#url=<its webhook URL>` */
  docsUrl: string;
}

/** The settings page. Every value goes through hono/html escaping, or embedJson for the boot block. */
/** The shared start of both pages: language, no referrer, the styles under the page's nonce. */
function documentHead(lang: string, title: string, nonce: string) {
  return html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style nonce="${nonce}">${raw(SETTINGS_PAGE_STYLES)}</style>
</head>`;
}

export function settingsPageHtml(boot: SettingsBoot, nonce: string, bx24: boolean) {
  const texts = boot.texts;
  return html`${documentHead(boot.lang, texts.title, nonce)}
<body>
<header>
<h1>${texts.title}</h1>
${boot.line === null ? "" : html`<p><strong>${fillText(texts.openLine, { line: boot.line })}</strong> · <span id="cb-line-binding">${texts.loading}</span></p>`}
</header>
<p id="cb-page-status" class="cb-status" role="status" hidden></p>
<section>
<h2>${texts.channels}</h2>
<div id="cb-channels"><p>${texts.loading}</p></div>
</section>
<section>
<h2>${texts.addChannel}</h2>
<form id="cb-add-form" novalidate><p>${texts.loading}</p></form>
</section>
<section>
<h2>${texts.phoneRegion}</h2>
<div id="cb-region"><p>${texts.loading}</p></div>
<div id="cb-time-zone"></div>
</section>
<section>
<h2>${texts.messages}</h2>
<div id="cb-message-filters" class="cb-inline"></div>
<div id="cb-messages"><p>${texts.loading}</p></div>
</section>
<section>
<h2>${texts.deadLetters}</h2>
<p class="cb-hint">${texts.deadLettersHint}</p>
<div id="cb-dead-letters"><p>${texts.loading}</p></div>
</section>
<noscript><p>${texts.needsJs}</p></noscript>
<script type="application/json" id="cb-boot">${embedJson(boot)}</script>
${bx24 ? html`<script id="cb-bx24" async nonce="${nonce}" src="${BX24_SCRIPT_URL}"></script>` : ""}
<script nonce="${nonce}">${raw(SETTINGS_PAGE_SCRIPT)}</script>
</body>
</html>`;
}

/** What the admin can do about each refusal; the API's own message is shown below it. */
function hintOf(code: ErrorCode | "internal", placement: boolean): TextKey {
  if (code === "forbidden") return "hintAdmin";
  if (code === "rate_limited" || code === "unavailable") return "hintLater";
  if (placement && code === "invalid_parameter") return "hintPlacement";
  if (code === "unauthorized" || code === "missing_parameter" || code === "invalid_parameter" || code === "invalid_body") return "hintReopen";
  return "hintGeneric";
}

export interface ErrorPageInput {
  lang: PageLanguage;
  texts: PageTexts;
  code: ErrorCode | "internal";
  message: string;
  requestId: string;
  placement: boolean;
}

/** A small page in the frame instead of JSON a user cannot read; no script, never a stack trace. */
export function errorPageHtml(input: ErrorPageInput, nonce: string) {
  const { texts } = input;
  return html`${documentHead(input.lang, texts.errorTitle, nonce)}
<body class="cb-error-page">
<h1>${texts.errorTitle}</h1>
<p>${texts[hintOf(input.code, input.placement)]}</p>
<p class="cb-status cb-status-error">${input.message}</p>
<p class="cb-muted"><small>${texts.requestId}: <code>${input.requestId}</code></small></p>
</body>
</html>`;
}
