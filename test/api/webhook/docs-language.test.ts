import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHANNEL_PLACEHOLDER, FILL_URL_SCRIPT } from "../../../app/api/webhook/docs-fill-url.js";
import { ERROR_DOCS, type Localized, METHOD_DOCS } from "../../../app/api/webhook/reference.js";
import { WebhookHarness } from "./harness.js";

const PUBLIC_URL = "https://bridge.example.com";

/** Every text of the single description, with where it comes from. */
function allTexts(): Array<[string, Localized]> {
  const out: Array<[string, Localized]> = [];
  for (const m of METHOD_DOCS) {
    out.push([`${m.name}.summary`, m.summary], [`${m.name}.description`, m.description], [`${m.name}.limit`, m.limit]);
    if (m.warning) out.push([`${m.name}.warning`, m.warning]);
    for (const p of m.params) out.push([`${m.name}.${p.name}`, p.description]);
  }
  for (const e of ERROR_DOCS) out.push([`error ${e.code}`, e.when]);
  return out;
}

describe("GET /docs in Russian and English", () => {
  const h = new WebhookHarness("pglite");
  beforeAll(() => h.start({ PUBLIC_URL }));
  afterAll(() => h.close());

  const page = async (query: string, acceptLanguage?: string) => {
    const res = await h.app.request(`/docs${query}`, acceptLanguage ? { headers: { "accept-language": acceptLanguage } } : {});
    expect(res.status).toBe(200);
    return { res, html: await res.text() };
  };
  const langOf = (html: string) => /<html lang="(\w+)">/.exec(html)?.[1];

  it.each([
    [undefined, "en"],
    ["ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "ru"],
    ["uk-UA,uk;q=0.9", "ru"],
    ["be", "ru"],
    ["kk-KZ", "ru"],
    ["en-US,en;q=0.9,ru;q=0.8", "en"],
    ["en;q=0.3, ru;q=0.7", "ru"],
    ["de-DE", "en"],
    ["ru;q=0", "en"],
  ])("Accept-Language %s -> %s, with Vary: Accept-Language", async (header, lang) => {
    const { res, html } = await page("", header);
    expect(langOf(html)).toBe(lang);
    expect(res.headers.get("vary")).toContain("Accept-Language");
  });

  it("?lang= wins over Accept-Language, and the page links to the other language", async () => {
    const ru = await page("?lang=ru", "en-US,en");
    expect(langOf(ru.html)).toBe("ru");
    expect(ru.html).toContain('<a data-lang href="?lang=en" hreflang="en">English</a>');
    const en = await page("?lang=en", "ru-RU,ru");
    expect(langOf(en.html)).toBe("en");
    expect(en.html).toContain('<a data-lang href="?lang=ru" hreflang="ru">Русский</a>');
  });

  it("the Russian page is written from the Russian half of the same description as OpenAPI", async () => {
    const { html } = await page("?lang=ru");
    expect(html).toContain("Вебхук chatbridge");
    expect(html).toContain("5 запросов за 3 секунды на один вебхук");
    expect(html).toContain("Открытой линии Битрикс24");
    expect(html).toContain("<th>Параметр</th>");
    for (const e of ERROR_DOCS) expect(html).toContain(e.when.ru.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/'/g, "&#39;"));
    for (const m of METHOD_DOCS) expect(html).toContain(m.summary.ru);
    expect(html).toContain("1С:Предприятие 8.3");
    expect(html).toContain("<h3>Tilda</h3>");
    expect(html).toContain("CF7 to Webhook");
  });

  it("every text of the description exists in both languages, the Russian one in Russian", () => {
    for (const [where, text] of allTexts()) {
      expect(text.en.trim(), where).not.toBe("");
      expect(text.ru, where).toMatch(/[А-Яа-яЁё]/);
      expect(text.ru, where).not.toBe(text.en);
    }
  });

  it("only the page's own script runs (CSP nonce), and it is the channel-URL filler", async () => {
    const { res, html } = await page("");
    const csp = res.headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    const scripts = [...html.matchAll(/<script nonce="([^"]+)">/g)];
    expect(scripts.map((s) => s[1])).toEqual([nonce]);
    expect(html).toContain(FILL_URL_SCRIPT);
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  });
});

/** The parts of the DOM the script touches, so its logic runs here exactly as the page ships it. */
interface FakeText {
  nodeType: 3;
  nodeValue: string;
}
function fakePage(hash: string, texts: string[]) {
  const nodes = texts.map((t) => ({ childNodes: [{ nodeType: 3 as const, nodeValue: t } satisfies FakeText, { nodeType: 1, nodeValue: null }] }));
  const link = { href: "?lang=ru", getAttribute: () => link.href, setAttribute: (_: string, v: string) => void (link.href = v) };
  const doc = { querySelectorAll: (selector: string) => (selector === "pre, code" ? nodes : [link]) };
  const run = new Function(`return (${FILL_URL_SCRIPT})`)() as (win: unknown, doc: unknown, publicUrl: string, placeholder: string) => void;
  run({ location: { hash } }, doc, PUBLIC_URL, CHANNEL_PLACEHOLDER);
  return { texts: nodes.map((n) => n.childNodes[0]!.nodeValue), link: link.href };
}

describe("the docs page's channel-URL filler", () => {
  const examples = [`curl '${PUBLIC_URL}${CHANNEL_PLACEHOLDER}/sendText?phone_number=1'`, `Запрос = Новый HTTPЗапрос("${CHANNEL_PLACEHOLDER}/sendText", Заголовки);`];
  const channel = "/rest/webhook/tg/AbCdEfGhIjKlMnOpQrStUv_-12";

  it("fills the channel's URL from #url= into every example, and keeps it in the language links", () => {
    const hash = `#url=${encodeURIComponent(`${PUBLIC_URL}${channel}`)}`;
    const { texts, link } = fakePage(hash, examples);
    expect(texts).toEqual([`curl '${PUBLIC_URL}${channel}/sendText?phone_number=1'`, `Запрос = Новый HTTPЗапрос("${channel}/sendText", Заголовки);`]);
    expect(link).toBe(`?lang=ru${hash}`);
  });

  it.each([
    ["no fragment", ""],
    ["another host", `#url=${encodeURIComponent(`https://evil.example.com${channel}`)}`],
    ["a host that only starts like ours", `#url=${encodeURIComponent(`${PUBLIC_URL}.evil.example.com${channel}`)}`],
    ["markup instead of a token", `#url=${encodeURIComponent(`${PUBLIC_URL}/rest/webhook/wa/<img src=x onerror=alert(1)>`)}`],
    ["a path after the token", `#url=${encodeURIComponent(`${PUBLIC_URL}${channel}/sendText`)}`],
    ["a broken escape", "#url=%E0%A4%A"],
  ])("leaves the examples as they are for %s", (_name, hash) => {
    const { texts, link } = fakePage(hash, examples);
    expect(texts).toEqual(examples);
    expect(link).toBe("?lang=ru");
  });
});
