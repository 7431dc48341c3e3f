import { Hono } from "hono";
import { languageDetector } from "hono/language";
import { ERROR_STATUS } from "../../core/errors.js";
import type { AppEnv } from "../../deps.js";
import { CHANNEL_PLACEHOLDER, fillUrlScriptTag } from "./docs-fill-url.js";
import { PAGE_TEXTS, type PageTexts } from "./docs-texts.js";
import {
  curlRecipes,
  jsRecipe,
  onecRecipe,
  phpCurlRecipe,
  phpStreamRecipe,
  pythonRecipe,
  type RecipeCall,
  recipeCall,
} from "./recipes.js";
import { type DocLang, ERROR_DOCS, METHOD_DOCS, type MethodDoc } from "./reference.js";

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

const pre = (code: string) => `<pre>${escapeHtml(code)}</pre>`;

function recipes(call: RecipeCall, t: PageTexts): string {
  const curl = curlRecipes(call);
  const more: Array<[string, string]> = [
    [t.onec, onecRecipe(call)],
    [t.phpStream, phpStreamRecipe(call)],
    [t.phpCurl, phpCurlRecipe(call)],
    ["JavaScript (fetch)", jsRecipe(call)],
    ["Python (requests)", pythonRecipe(call)],
  ];
  return `<h3>${t.examples}</h3>
<h4>GET</h4>${pre(curl.get)}
<h4>${t.postForm}</h4>${pre(curl.form)}
${curl.json ? `<h4>${t.postJson}</h4>${pre(curl.json)}` : ""}
${more.map(([title, code]) => `<details><summary>${escapeHtml(title)}</summary>${pre(code)}</details>`).join("\n")}`;
}

function methodSection(m: MethodDoc, base: string, lang: DocLang): string {
  const t = PAGE_TEXTS[lang];
  const rows = m.params
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.name)}</code>${p.required ? " <b>*</b>" : ""}</td><td>${p.yesNo ? "Y|N" : p.type}</td><td>${escapeHtml(p.description[lang])}</td></tr>`,
    )
    .join("");
  const call = recipeCall(m, base);
  const builders = m.formFields
    ? `<p>${t.builderUrl}</p>${t.tilda(escapeHtml(`${call.url}?${new URLSearchParams(call.query).toString()}`))}\n${t.cf7}`
    : "";
  return `<section id="${m.name}">
<h2><code>${m.name}</code>: ${escapeHtml(m.summary[lang])}</h2>
<p>${escapeHtml(m.description[lang])}</p>
${m.warning ? `<p class="warn"><b>${t.warning}</b> ${escapeHtml(m.warning[lang])}</p>` : ""}
<p>${t.limit}: ${escapeHtml(m.limit[lang])}.</p>
${rows ? `<table><tr><th>${t.parameter}</th><th>${t.type}</th><th>${t.description}</th></tr>${rows}</table>` : `<p>${t.noParams}</p>`}
${recipes(call, t)}
${builders}
<h3>${t.answer}</h3>${pre(JSON.stringify(m.answer, null, 2))}
<p>${t.errors}: ${m.errors.map((e) => `<code>${e}</code>`).join(", ")}.</p>
</section>`;
}

function languageLinks(lang: DocLang): string {
  const link = (l: DocLang, label: string) => (l === lang ? `<b>${label}</b>` : `<a data-lang href="?lang=${l}" hreflang="${l}">${label}</a>`);
  return `<p class="lang">${link("ru", "Русский")} | ${link("en", "English")}</p>`;
}

/**
 * The docs page in one language. Examples show `<PUBLIC_URL>/rest/webhook/wa/<token>`; the
 * inline script (docs-fill-url.ts) puts the channel's URL there when the page is opened with
 * `#url=`, which is why a nonce is needed.
 */
export function renderDocs(publicUrl: string, lang: DocLang = "en", nonce?: string): string {
  const t = PAGE_TEXTS[lang];
  const root = publicUrl.replace(/\/+$/, "");
  const base = `${root}${CHANNEL_PLACEHOLDER}`;
  const errors = ERROR_DOCS.map((e) => `<tr><td><code>${e.code}</code></td><td>${ERROR_STATUS[e.code]}</td><td>${escapeHtml(e.when[lang])}</td></tr>`).join("");
  const contents = METHOD_DOCS.map((m) => `<li><a href="#${m.name}"><code>${m.name}</code></a>: ${escapeHtml(m.summary[lang])}</li>`).join("");
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t.title}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
pre{background:#f4f4f4;padding:.8em;overflow-x:auto}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
.warn{background:#fff3cd;padding:.6em;border-left:4px solid #e0a800}summary{cursor:pointer;margin:.4em 0}.lang{text-align:right}</style></head>
<body>
${languageLinks(lang)}
<h1>${t.title}</h1>
${t.intro(escapeHtml(base))}
${t.formats}
<h2>${t.limitsTitle}</h2>
${t.limits}
<h2>${t.reliableTitle}</h2>
${t.reliable}
<h2>${t.contents}</h2>
<ul>${contents}</ul>
${METHOD_DOCS.map((m) => methodSection(m, base, lang)).join("\n")}
<h2>${t.errorCodes}</h2>
<table><tr><th>error</th><th>HTTP</th><th>${t.when}</th></tr>${errors}</table>
${t.openapi(`<a href="${escapeHtml(root)}/rest/webhook/openapi.json">openapi.json</a>`)}
${nonce ? fillUrlScriptTag(root, nonce) : ""}
</body></html>`;
}

/** Accept-Language tags read as Russian: Russian-speaking integrators in Belarus, Ukraine and Kazakhstan. */
const RUSSIAN_READERS = /^(ru|be|uk|kk)(-|$)/i;

/**
 * GET /docs: the webhook API's documentation page with recipes for every method, in Russian or
 * English: `?lang=ru|en`, else the best of Accept-Language by its q-values.
 */
export const webhookDocs = new Hono<AppEnv>().get(
  "/docs",
  languageDetector({
    order: ["querystring", "header"],
    caches: false,
    supportedLanguages: ["en", "ru"],
    fallbackLanguage: "en",
    convertDetectedLanguage: (tag) => (RUSSIAN_READERS.test(tag) ? "ru" : tag),
  }),
  (c) => {
    const lang: DocLang = c.get("language") === "ru" ? "ru" : "en";
    const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    c.header("Content-Security-Policy", `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; base-uri 'none'`);
    c.header("X-Content-Type-Options", "nosniff");
    // the fragment never leaves the browser, but a link followed from the page must not carry the page's URL either
    c.header("Referrer-Policy", "no-referrer");
    c.header("Vary", "Accept-Language");
    return c.html(renderDocs(c.var.deps.config.PUBLIC_URL, lang, nonce));
  },
);
