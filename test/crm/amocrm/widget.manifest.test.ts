import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { runInNewContext } from "node:vm";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { buildWidgetZip, URL_PLACEHOLDER, WIDGET_DIR } from "../../../scripts/build-widget.js";
import { WIDGET_IMAGES } from "../../../scripts/widget-images.js";

type Json = Record<string, unknown>;

const manifest = JSON.parse(readFileSync(join(WIDGET_DIR, "manifest.json"), "utf8")) as {
  widget: Json & { locale: string[]; support: Json };
  locations: string[];
  advanced: { title: string };
  dp: { settings: Record<string, { name: string; type: string; required?: boolean }>; action_multiple: boolean; webhook_url: string };
  salesbot_designer: Record<string, { name: string; settings: Record<string, { name: string; type: string; manual?: boolean }> }>;
};
const scriptSource = readFileSync(join(WIDGET_DIR, "script.js"), "utf8");
const locales = Object.fromEntries(manifest.widget.locale.map((l) => [l, JSON.parse(readFileSync(join(WIDGET_DIR, "i18n", `${l}.json`), "utf8")) as Json]));

/** "a.b.c" paths of every leaf of an i18n file. */
function leafKeys(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null) return [prefix];
  return Object.entries(value as Json).flatMap(([k, v]) => leafKeys(v, prefix ? `${prefix}.${k}` : k));
}

function lookup(locale: Json, key: string): unknown {
  return key.split(".").reduce<unknown>((node, part) => (typeof node === "object" && node !== null ? (node as Json)[part] : undefined), locale);
}

/** Width and height from a PNG's IHDR (the first chunk, right after the 8-byte signature). */
function pngSize(bytes: Buffer): [number, number] {
  expect(bytes.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
  expect(bytes.subarray(12, 16).toString("latin1")).toBe("IHDR");
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

function listWidgetFiles(dir = WIDGET_DIR): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listWidgetFiles(path) : [relative(WIDGET_DIR, path).split(sep).join("/")];
  });
}

/** Evaluates script.js as amoCRM's loader would: `define(['jquery'], factory)`, then `new` the widget. */
function loadWidget(source: string, env: { i18n?: (key: string) => unknown; area?: string } = {}) {
  let deps: unknown;
  let factory: ((...args: unknown[]) => new () => { callbacks: Record<string, (...args: unknown[]) => unknown> }) | undefined;
  runInNewContext(source, {
    window: {},
    define: (d: unknown, f: typeof factory) => {
      deps = d;
      factory = f;
    },
  });
  expect(deps).toEqual(["jquery"]);
  const Widget = factory!({});
  const widget = new Widget() as unknown as { callbacks: Record<string, (...args: unknown[]) => unknown>; i18n: (key: string) => unknown; system: () => unknown };
  widget.i18n = env.i18n ?? ((key) => (locales.en as Json)[key]);
  widget.system = () => ({ area: env.area ?? "settings", amouser_id: "1" });
  return widget;
}

describe("amoCRM widget archive (reference/amocrm.md 3)", () => {
  it("manifest: the required widget fields, locations and blocks (3.2)", () => {
    const w = manifest.widget;
    for (const key of ["name", "description", "short_description"]) expect(w[key]).toMatch(/^widget\.[a-z_]+$/);
    expect(w.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(w.interface_version).toBe(2);
    expect(w.init_once).toBe(false);
    expect(w.locale).toEqual(["ru", "en"]);
    expect(w.installation).toBe(true);
    expect(w.support.link ?? w.support.email).toBeTruthy();
    expect(w.support.link).toBe(`${URL_PLACEHOLDER}/docs`);
    expect(manifest.locations).toEqual(["settings", "advanced_settings", "lcard-1", "ccard-1", "digital_pipeline", "salesbot_designer", "whatsapp_modal"]);
    expect(manifest.advanced.title).toBe("advanced.title");
    expect(Object.keys(manifest.dp.settings)).toEqual(["channel", "text", "file_url", "template", "params", "header_url", "secret"]);
    for (const field of Object.values(manifest.dp.settings)) expect(["text", "pass"]).toContain(field.type);
    // a template send needs no text: the backend refuses a DP action with neither
    expect(manifest.dp.settings.text!.required).toBe(false);
    expect(manifest.dp.action_multiple).toBe(false);
    expect(manifest.dp.webhook_url).toBe(`${URL_PLACEHOLDER}/amocrm/dp`);
    const send = manifest.salesbot_designer.send_message!;
    expect(Object.keys(send.settings)).toEqual(["channel", "text", "file_url", "template", "params", "header_url"]);
    for (const field of Object.values(send.settings)) expect(["text", "numeric", "url"]).toContain(field.type);
    // typed by the bot's author, not picked from a CRM field (a channel name is never a field value)
    expect(send.settings.text!.manual).toBe(true);
    expect(send.settings.channel!.manual).toBe(true);
    expect(send.settings.file_url!.type).toBe("url");
    // a template's values may be amoCRM fields ({{contact.name}}), which amoCRM fills in before posting [U: `manual` semantics]
    expect(send.settings.template!.manual).toBe(true);
    expect(send.settings.params!.manual).toBeUndefined();
  });

  it("i18n: one file per manifest locale, all with the same keys, every key the manifest names present and non-empty", () => {
    expect(readdirSync(join(WIDGET_DIR, "i18n")).sort()).toEqual(manifest.widget.locale.map((l) => `${l}.json`).sort());
    const [first, ...rest] = Object.values(locales).map((l) => leafKeys(l).sort());
    for (const keys of rest) expect(keys).toEqual(first);
    const referenced = [
      String(manifest.widget.name),
      String(manifest.widget.description),
      String(manifest.widget.short_description),
      manifest.advanced.title,
      ...Object.values(manifest.dp.settings).map((f) => f.name),
      ...Object.values(manifest.salesbot_designer).flatMap((h) => [h.name, ...Object.values(h.settings).map((f) => f.name)]),
    ];
    for (const [locale, texts] of Object.entries(locales)) {
      for (const key of referenced) expect(lookup(texts, key), `${locale}: ${key}`).toEqual(expect.stringMatching(/\S/));
    }
  });

  it("i18n: every panel text script.js asks for exists in every locale, including each channel state", () => {
    const used = new Set([...scriptSource.matchAll(/\bt\('([A-Za-z_]+)'\s*[,)]/g)].map((m) => m[1]!));
    for (const state of ["connected", "qr_required", "connecting", "banned", "unauthorized", "unknown"]) used.add(`state_${state}`);
    expect(used.size).toBeGreaterThan(30);
    for (const [locale, texts] of Object.entries(locales)) {
      for (const key of used) expect(lookup(texts, `panel.${key}`), `${locale}: panel.${key}`).toEqual(expect.any(String));
    }
  });

  it("images: every logo exists as a PNG of its exact size, under 300 KB (3.1)", () => {
    expect(readdirSync(join(WIDGET_DIR, "images")).sort()).toEqual(Object.keys(WIDGET_IMAGES).sort());
    for (const [name, [width, height]] of Object.entries(WIDGET_IMAGES)) {
      const bytes = readFileSync(join(WIDGET_DIR, "images", name));
      expect(pngSize(bytes), name).toEqual([width, height]);
      expect(bytes.length).toBeLessThanOrEqual(300 * 1024);
    }
  });

  it("script.js: plain ES5 that defines the AMD module with every callback amoCRM calls (3.3)", () => {
    // no ES2015+ syntax: amoCRM loads the file as is, in every browser it supports
    expect(scriptSource).not.toMatch(/=>|`|\b(let|const|class)\s/);
    expect(() => new Function(scriptSource)).not.toThrow();
    const widget = loadWidget(scriptSource);
    for (const name of ["render", "init", "bind_actions", "settings", "advancedSettings", "onSave", "destroy", "dpSettings", "onSalesbotDesignerSave", "salesbotDesignerSettings"]) {
      expect(typeof widget.callbacks[name], name).toBe("function");
    }
    expect(widget.callbacks.render!()).toBe(true);
    expect(widget.callbacks.init!()).toBe(true);
    expect(widget.callbacks.bind_actions!()).toBe(true);
    expect(widget.callbacks.onSave!({})).toBe(true);
  });

  it("script.js: the Salesbot step posts channel/text/file_url and {{lead.id}} to /amocrm/salesbot and exits by {{json.status}} (4.2)", () => {
    const widget = loadWidget(scriptSource, { i18n: (key) => (locales.ru as Json)[key] });
    const steps = JSON.parse(String(widget.callbacks.onSalesbotDesignerSave!("send_message", { channel: "Sales", text: "Hello {{contact.name}}", file_url: "" })));
    expect(steps[0].question[0]).toEqual({
      handler: "widget_request",
      params: {
        url: `${URL_PLACEHOLDER}/amocrm/salesbot`,
        data: { channel: "Sales", text: "Hello {{contact.name}}", file_url: "", template: "", params: "", header_url: "", lead: "{{lead.id}}" },
      },
    });
    expect(steps[0].question[1]).toEqual({ handler: "goto", params: { type: "question", step: 1 } });
    expect(steps[1].question[0]).toMatchObject({
      handler: "conditions",
      params: { conditions: [{ term1: "{{json.status}}", term2: "success", operation: "=" }], result: [{ handler: "exits", params: { value: "success" } }] },
    });
    expect(steps[1].question[1]).toEqual({ handler: "exits", params: { value: "fail" } });
    expect(widget.callbacks.salesbotDesignerSettings!({}, () => "", {})).toEqual({
      exits: [
        { code: "success", title: "Отправлено" },
        { code: "fail", title: "Не отправлено" },
      ],
    });
  });

  it("build: the zip holds exactly the widget's files at its root, UTF-8 without BOM, with the deployment URL substituted", () => {
    const zip = unzipSync(buildWidgetZip({ publicUrl: "https://bridge.example.com/", supportEmail: "help@bridge.example.com" }));
    expect(Object.keys(zip).sort()).toEqual(listWidgetFiles().sort());
    expect(Object.keys(zip).every((name) => !name.includes("/") || /^(i18n|images)\//.test(name))).toBe(true);
    for (const [name, bytes] of Object.entries(zip)) {
      if (!/\.(json|js)$/.test(name)) continue;
      expect(bytes.subarray(0, 3), name).not.toEqual(new Uint8Array([0xef, 0xbb, 0xbf]));
      const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      expect(text, name).not.toContain(URL_PLACEHOLDER);
    }
    const built = JSON.parse(new TextDecoder().decode(zip["manifest.json"])) as typeof manifest;
    expect(built.dp.webhook_url).toBe("https://bridge.example.com/amocrm/dp");
    expect(built.widget.support).toEqual({ link: "https://bridge.example.com/docs", email: "help@bridge.example.com" });
    const script = new TextDecoder().decode(zip["script.js"]);
    expect(script).toContain("var BACKEND_URL = 'https://bridge.example.com';");
    const steps = JSON.parse(String(loadWidget(script).callbacks.onSalesbotDesignerSave!("send_message", { text: "x" })));
    expect(steps[0].question[0].params.url).toBe("https://bridge.example.com/amocrm/salesbot");
    for (const name of Object.keys(WIDGET_IMAGES)) expect(zip[`images/${name}`]).toEqual(new Uint8Array(readFileSync(join(WIDGET_DIR, "images", name))));
  });

  it("build: `npm run widget:build` writes the archive where --out says, and refuses to run without a URL; dist/ is git-ignored", () => {
    const out = join(mkdtempSync(join(tmpdir(), "widget-")), "widget-amocrm.zip");
    const ok = spawnSync("npx", ["tsx", "scripts/build-widget.ts", "--url", "https://bridge.example.com", "--out", out], { encoding: "utf8" });
    expect(ok.status, ok.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(Object.keys(unzipSync(new Uint8Array(readFileSync(out))))).toContain("manifest.json");
    const env = { ...process.env };
    delete env.PUBLIC_URL;
    const missing = spawnSync("npx", ["tsx", "scripts/build-widget.ts", "--out", out], { encoding: "utf8", env });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("--url");
    expect(readFileSync(".gitignore", "utf8").split("\n")).toContain("dist/");
  });
});
