import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  curlRecipes,
  jsRecipe,
  onecRecipe,
  phpCurlRecipe,
  phpStreamRecipe,
  pythonRecipe,
  type RecipeCall,
  recipeCall,
} from "../../../app/api/webhook/recipes.js";
import { METHOD_DOCS, type MethodDoc } from "../../../app/api/webhook/reference.js";
import { type FakeServer, startFake } from "../../support/fake-server.js";
import { json, WebhookHarness } from "./harness.js";

const run = promisify(execFile);
const inCi = Boolean(process.env.CI) && process.env.CI !== "false";

/** Whether an interpreter runs here; missing ones skip their test with a note, except under CI where they fail it. */
async function available(cmd: string, args: string[]): Promise<boolean> {
  try {
    await run(cmd, args, { timeout: 30_000 });
    return true;
  } catch {
    if (inCi) return true; // let the test run and fail on the missing interpreter
    console.warn(`${cmd} is not available here: its recipe tests are skipped (they run under CI)`);
    return false;
  }
}
const has = {
  curl: await available("curl", ["--version"]),
  node: await available(process.execPath, ["--version"]),
  python: await available("python3", ["-c", "import requests"]),
};

const doc = (name: string): MethodDoc => METHOD_DOCS.find((m) => m.name === name)!;

/** The fake provider must have received what the example says, addressed as the example says. */
const SENT = {
  sendText: [{ recipient: "79001234567", body: "Мы получили вашу заявку №00001" }],
  sendForm: [
    { recipient: "79001112233", body: "Новая заявка от Иван, +7 900 123-45-67: Перезвоните после 18:00" },
    { recipient: "79001234567", body: "Иван, спасибо! Мы получили вашу заявку и скоро перезвоним." },
  ],
} as const;
type RunMethod = keyof typeof SENT;

describe("the docs' recipes, run against the app on a loopback port", () => {
  const h = new WebhookHarness("pglite");
  let server: FakeServer;
  let dir: string;
  beforeAll(async () => {
    await h.start();
    const outer = new Hono();
    outer.all("*", (c) => h.app.fetch(c.req.raw));
    server = await startFake(outer);
    dir = await mkdtemp(join(tmpdir(), "chatbridge-recipes-"));
  });
  afterAll(async () => {
    await server?.close();
    await h.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A fresh channel (its own rate-limit bucket) and the recipe's call on the live server. */
  async function liveCall(method: RunMethod): Promise<RecipeCall> {
    const { base } = await h.channel();
    return recipeCall(doc(method), `${server.url}${base}`);
  }

  /** The answer printed last, and what the provider received once the outbox ran. */
  async function sentAfter(outputs: string[]): Promise<Array<Record<string, unknown>>> {
    for (const out of outputs) expect(JSON.parse(out.trim().split("\n").at(-1)!)).toMatchObject({ ok: true, status: "queued" });
    const before = h.sends().length;
    await h.runOutbox();
    return h.sends().slice(before).map((s) => s.body);
  }

  describe.each(["sendText", "sendForm"] as const)("%s", (method) => {
    it.skipIf(!has.curl)("curl: GET, form POST and JSON POST", async () => {
      const curl = curlRecipes(await liveCall(method));
      const outputs: string[] = [];
      for (const script of [curl.get, curl.form, curl.json]) outputs.push((await run("sh", ["-c", `${script} --silent --show-error`], { timeout: 60_000 })).stdout);
      const sent = await sentAfter(outputs);
      // sendForm carries Tilda's tranid: the three calls are one submission, sent once
      expect(sent).toEqual(method === "sendText" ? [...SENT.sendText, ...SENT.sendText, ...SENT.sendText] : SENT.sendForm);
    });

    it.skipIf(!has.node)("JavaScript (fetch) under Node.js", async () => {
      const file = join(dir, `${method}.mjs`);
      await writeFile(file, jsRecipe(await liveCall(method)));
      const { stdout } = await run(process.execPath, [file], { timeout: 60_000 });
      expect(await sentAfter([stdout])).toEqual(SENT[method]);
    });

    it.skipIf(!has.python)("Python (requests)", async () => {
      const file = join(dir, `${method}.py`);
      await writeFile(file, pythonRecipe(await liveCall(method)));
      const { stdout } = await run("python3", [file], { timeout: 60_000 });
      expect(await sentAfter([stdout])).toEqual(SENT[method]);
    });
  });
});

/** PHP single-quoted strings: \' and \\ are the only escapes. */
const phpUnquote = (s: string) => s.replace(/\\(['\\])/g, "$1");
function phpPairs(arrayText: string): Array<[string, string]> {
  return [...arrayText.matchAll(/'((?:[^'\\]|\\.)*)' => '((?:[^'\\]|\\.)*)',/g)].map((m) => [phpUnquote(m[1]!), phpUnquote(m[2]!)]);
}

/** What a PHP recipe sends: its URL (with http_build_query's array, if any) and its POST body's array. */
function parsePhp(code: string): { url: string; body: Array<[string, string]> } {
  const head = /^<\?php\n\$url = '((?:[^'\\]|\\.)*)'(?: \. http_build_query\((\[[\s\S]*?\n\])\))?;\n\$params = (\[[\s\S]*?\n\]|\[\]);\n/.exec(code);
  expect(head, code).not.toBeNull();
  const query = head![2] ? `${new URLSearchParams(phpPairs(head![2])).toString()}` : "";
  return { url: phpUnquote(head![1]!) + query, body: phpPairs(head![3]!) };
}

/** 1C string literals: "" is a quote. */
const onecUnquote = (s: string) => s.replace(/""/g, '"');
function onecPairs(code: string, variable: string): Array<[string, string]> {
  const re = new RegExp(`^${variable}\\.Вставить\\("((?:[^"]|"")*)", "((?:[^"]|"")*)"\\);$`, "gm");
  return [...code.matchAll(re)].map((m) => [onecUnquote(m[1]!), onecUnquote(m[2]!)]);
}

describe("the PHP and 1C:Enterprise recipes build the documented call", () => {
  const h = new WebhookHarness("pglite");
  beforeAll(() => h.start());
  afterAll(() => h.close());

  const PUBLIC = "https://bridge.example.com";
  const expected = (m: MethodDoc, base: string) => recipeCall(m, `${PUBLIC}${base}`);

  it.each(METHOD_DOCS.map((m) => [m.name, m] as const))("%s: PHP (file_get_contents and cURL) POSTs the method's URL and parameters", (_name, m) => {
    const call = expected(m, "/rest/webhook/wa/<token>");
    const stream = phpStreamRecipe(call);
    const curl = phpCurlRecipe(call);
    for (const code of [stream, curl]) {
      const parsed = parsePhp(code);
      expect(parsed.url).toBe(call.query.length > 0 ? `${call.url}?${new URLSearchParams(call.query).toString()}` : call.url);
      expect(parsed.body).toEqual(call.body);
      expect(code).toContain("http_build_query($params)");
      expect(code).toMatch(/if \(!empty\(\$answer\['ok'\]\)\)/);
    }
    expect(stream).toContain("'method' => 'POST'");
    expect(stream).toContain("stream_context_create(");
    expect(stream).toContain("file_get_contents($url, false, $context)");
    expect(curl).toContain("CURLOPT_POST => true");
    expect(curl).toContain("curl_init($url)");
  });

  it.each(METHOD_DOCS.map((m) => [m.name, m] as const))("%s: 1C POSTs over HTTPS with a UTF-8 form body and checks ok", (_name, m) => {
    const call = expected(m, "/rest/webhook/wa/<token>");
    const code = onecRecipe(call);
    expect(code).toContain('Соединение = Новый HTTPСоединение("bridge.example.com", 443, , , , 30, Новый ЗащищенноеСоединениеOpenSSL);');
    const path = /Запрос = Новый HTTPЗапрос\("([^"]+)"( \+ Адрес)?, Заголовки\);/.exec(code);
    expect(path?.[1]).toBe(`/rest/webhook/wa/<token>/${m.name}${call.query.length > 0 ? "?" : ""}`);
    expect(onecPairs(code, "Параметры")).toEqual(call.body);
    expect(onecPairs(code, "ПараметрыАдреса")).toEqual(call.query);
    expect(code).toContain("КодироватьСтроку(Параметр.Значение, СпособКодированияСтроки.КодировкаURL)");
    expect(code).toContain("Запрос.УстановитьТелоИзСтроки(Тело, КодировкаТекста.UTF8");
    expect(code).toContain("Соединение.ОтправитьДляОбработки(Запрос)"); // POST
    expect(code).toContain("ПрочитатьJSON(Чтение, Истина)");
    expect(code).toContain('Если Результат.Получить("ok") = Истина Тогда');
  });

  it("what the 1C and PHP recipes of sendText and sendForm build is accepted by the app", async () => {
    for (const name of ["sendText", "sendForm"]) {
      const { base } = await h.channel();
      const call = expected(doc(name), base);
      // 1C: КодироватьСтроку(..., КодировкаURL) percent-encodes UTF-8, as encodeURIComponent does
      const encode = (pairs: Array<[string, string]>) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
      const onec = onecRecipe(call);
      const query = onecPairs(onec, "ПараметрыАдреса");
      const path = `${base}/${name}${query.length > 0 ? `?${encode(query)}` : ""}`;
      const res = await h.app.request(path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
        body: encode(onecPairs(onec, "Параметры")),
      });
      expect(await json(res)).toMatchObject({ ok: true, status: "queued" });

      const php = parsePhp(phpCurlRecipe(call));
      const again = await h.postForm(php.url.slice(PUBLIC.length), Object.fromEntries(php.body));
      expect(await json(again)).toMatchObject({ ok: true });
    }
    await h.runOutbox();
  });
});
