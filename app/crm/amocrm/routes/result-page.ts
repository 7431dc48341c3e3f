import type { Context } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../../../deps.js";

export type PageLang = "ru" | "en";

/** Russian for Russian-speaking browsers (most amoCRM users), English otherwise. */
export function pageLang(acceptLanguage: string | undefined): PageLang {
  const first = (acceptLanguage ?? "").split(",")[0]?.trim().toLowerCase() ?? "";
  return /^(ru|uk|be|kk)\b/.test(first) ? "ru" : "en";
}

/** A caller that asked for JSON (scripts, tests) gets JSON; a browser gets the page. */
export function wantsJson(c: Context<AppEnv>): boolean {
  const accept = c.req.header("accept") ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
}

/** The small page a person sees at the end of the amoCRM consent flow. */
export function resultPage(c: Context<AppEnv>, status: ContentfulStatusCode, title: string, text: string, lang: PageLang) {
  return c.html(
    html`<!doctype html>
<html lang="${lang}">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>chatbridge: ${title}</title>
    <style>
      body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem; color: #1f2933; }
    </style>
  </head>
  <body>
    <h1>${title}</h1>
    <p>${text}</p>
  </body>
</html>`,
    status,
  );
}
