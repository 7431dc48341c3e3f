import { Hono } from "hono";
import { ERROR_STATUS } from "../../core/errors.js";
import type { AppEnv } from "../../deps.js";
import { ERROR_DOCS, METHOD_DOCS, type MethodDoc } from "./reference.js";

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

/** Single-quoted for POSIX shells: a quote inside becomes '\'' */
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function examples(m: MethodDoc, base: string): string[] {
  const url = `${base}/${m.name}`;
  const sample = m.params.filter((p) => p.required || p.name === "send_to_imol" || p.name === "caption").filter((p) => p.name !== "chat_id");
  if (sample.length === 0) return [`curl ${shellQuote(url)}`, `curl -X POST ${shellQuote(url)}`];
  const query = new URLSearchParams(sample.map((p) => [p.name, p.example])).toString();
  const form = sample.map((p) => `--data-urlencode ${shellQuote(`${p.name}=${p.example}`)}`).join(" \\\n     ");
  const json = JSON.stringify(Object.fromEntries(sample.map((p) => [p.name, p.example])));
  return [
    `curl ${shellQuote(`${url}?${query}`)}`,
    `curl -X POST ${shellQuote(url)} \\\n     ${form}`,
    `curl -X POST ${shellQuote(url)} \\\n     -H 'Content-Type: application/json' \\\n     -d ${shellQuote(json)}`,
  ];
}

function methodSection(m: MethodDoc, base: string): string {
  const rows = m.params
    .map(
      (p) =>
        `<tr><td><code>${p.name}</code>${p.required ? " <b>*</b>" : ""}</td><td>${p.yesNo ? "Y|N" : p.type}</td><td>${escapeHtml(p.description)}</td></tr>`,
    )
    .join("");
  const [get, form, json] = examples(m, base).map(escapeHtml);
  return `<section id="${m.name}">
<h2><code>${m.name}</code>: ${escapeHtml(m.summary)}</h2>
<p>${escapeHtml(m.description)}</p>
${m.warning ? `<p class="warn"><b>Warning:</b> ${escapeHtml(m.warning)}</p>` : ""}
<p>Limit: ${escapeHtml(m.limit)}.</p>
${rows ? `<table><tr><th>Parameter</th><th>Type</th><th>Description</th></tr>${rows}</table>` : "<p>No parameters.</p>"}
<h3>GET</h3><pre>${get}</pre>
<h3>POST, form</h3><pre>${form}</pre>
${json ? `<h3>POST, JSON</h3><pre>${json}</pre>` : ""}
<h3>Answer</h3><pre>${escapeHtml(JSON.stringify(m.answer, null, 2))}</pre>
<p>Errors: ${m.errors.map((e) => `<code>${e}</code>`).join(", ")}.</p>
</section>`;
}

export function renderDocs(publicUrl: string): string {
  const base = `${publicUrl.replace(/\/+$/, "")}/rest/webhook/wa/<token>`;
  const errors = ERROR_DOCS.map((e) => `<tr><td><code>${e.code}</code></td><td>${ERROR_STATUS[e.code]}</td><td>${escapeHtml(e.when)}</td></tr>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>chatbridge webhook API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
pre{background:#f4f4f4;padding:.8em;overflow-x:auto}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
.warn{background:#fff3cd;padding:.6em;border-left:4px solid #e0a800}</style></head>
<body>
<h1>chatbridge webhook API</h1>
<p>Every channel has a secret webhook URL, shown in its settings:
<code>${escapeHtml(base)}</code> for WhatsApp channels, <code>…/rest/webhook/tg/&lt;token&gt;</code> for Telegram channels.
Append a method name. Anyone who has the URL can send messages from your number: keep it secret, and regenerate it in the settings if it leaks (the old URL stops working at once).</p>
<p>Every method accepts <b>GET</b> with query parameters and <b>POST</b> with a form (<code>application/x-www-form-urlencoded</code>) or JSON body of the same names.
Answers are always JSON: <code>{"ok":true,…}</code> or <code>{"ok":false,"error":"&lt;code&gt;","message":"…","request_id":"…"}</code>.
Write Russian numbers with 7 in front (8 and +7 are understood too).</p>
<h2>Limits</h2>
<ul><li>5 requests per 3 seconds per webhook for every method except checkPhone;</li>
<li>checkPhone: 3 requests per second per webhook.</li></ul>
<p>Over the limit the answer is HTTP 429 <code>rate_limited</code> with a <code>Retry-After</code> header (seconds). Limits count per webhook across all our servers.</p>
<h2>Sending reliably</h2>
<p>Pass <code>request_id</code> (an order or form submission number): a repeat within 24 hours returns the first message and sends nothing, so a retry after a timeout never sends twice. After 24 hours the same request_id sends again.
Pass <code>wait=3</code> (at most 10) to get the provider's verdict in the answer (<code>sent</code>, or an error such as <code>no_messenger</code>); without it the answer is <code>queued</code> and <code>checkMessageStatus</code> tells what happened.</p>
${METHOD_DOCS.map((m) => methodSection(m, base)).join("\n")}
<h2>Error codes</h2>
<table><tr><th>error</th><th>HTTP</th><th>When</th></tr>${errors}</table>
<p>Machine-readable description: <a href="${escapeHtml(publicUrl.replace(/\/+$/, ""))}/rest/webhook/openapi.json">openapi.json</a> (OpenAPI 3.1).</p>
</body></html>`;
}

/** GET /docs: the webhook API's documentation page, with curl examples for every method. */
export const webhookDocs = new Hono<AppEnv>().get("/docs", (c) => {
  c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
  c.header("X-Content-Type-Options", "nosniff");
  return c.html(renderDocs(c.var.deps.config.PUBLIC_URL));
});
