import { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../deps.js";
import { APP_VERSION } from "../../version.js";

/** GET /: a short page for whoever opens the service URL in a browser. */
export const home = new Hono<AppEnv>().get("/", (c) => {
  const base = c.var.deps.config.PUBLIC_URL;
  return c.html(html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>chatbridge</title>
    <style>
      body { font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 3rem auto; padding: 0 1rem; color: #1f2933; }
      code { background: #f1f3f5; padding: 0 .25rem; border-radius: 3px; }
    </style>
  </head>
  <body>
    <h1>chatbridge</h1>
    <p>Connects WhatsApp and Telegram providers to Bitrix24 Open Lines and amoCRM chats.</p>
    <ul>
      <li><a href="${base}/docs">Public webhook API</a> (<code>/rest/webhook/wa/&lt;token&gt;/sendText</code>) and its
        <a href="${base}/rest/webhook/openapi.json">OpenAPI description</a></li>
      <li><a href="${base}/health">Service health</a></li>
    </ul>
    <p><small>version ${APP_VERSION}</small></p>
  </body>
</html>`);
});
