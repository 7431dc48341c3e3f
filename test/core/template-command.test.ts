import { describe, expect, it } from "vitest";
import { languageOfDomain } from "../../app/core/failure-texts.js";
import { windowOpen } from "../../app/core/service-window.js";
import { parseTemplateCommand } from "../../app/core/template-command.js";
import { fillTemplateText, renderTemplate, type TemplateRow } from "../../app/core/templates.js";

describe("/template command in a CRM chat", () => {
  it.each([
    ["/template", { params: [] }],
    ["  /TEMPLATE  ", { params: [] }],
    ["/template order_ready", { name: "order_ready", params: [] }],
    ["/template order_ready 00001 Ivan", { name: "order_ready", params: ["00001", "Ivan"] }],
    ['/template order_ready 00001 "Ivan Petrov"', { name: "order_ready", params: ["00001", "Ivan Petrov"] }],
    ["/template order_ready «Иван Петров» 5", { name: "order_ready", params: ["Иван Петров", "5"] }],
    ["/template order_ready:ru 00001 | Иван Петров", { name: "order_ready", language: "ru", params: ["00001", "Иван Петров"] }],
    ["/template promo@en_US", { name: "promo", language: "en_US", params: [] }],
    ["/template hello\nsecond line value", { name: "hello", params: ["second", "line", "value"] }],
  ])("%j", (text, expected) => {
    expect(parseTemplateCommand(text)).toEqual(expected);
  });

  it.each(["hello", "/templates", "please /template x", "/templ"])("%j is not a command (sent as ordinary text)", (text) => {
    expect(parseTemplateCommand(text)).toBeUndefined();
  });
});

describe("template text for people to read", () => {
  it("fills numbered variables, keeps the unknown ones visible", () => {
    expect(fillTemplateText("Hi {{1}}, order {{2}} is ready; {{3}}", ["Ivan", "00001"])).toBe("Hi Ivan, order 00001 is ready; {{3}}");
  });
  it("fills named variables in order of appearance [U: named parameters]", () => {
    expect(fillTemplateText("Hi {{name}}, code {{code}} ({{name}})", ["Ivan", "X1"])).toBe("Hi Ivan, code X1 (Ivan)");
  });
  it("renders header, body and footer", () => {
    const row = {
      name: "order_ready",
      language: "ru",
      body: "Заказ {{1}} готов",
      header: { format: "TEXT", text: "Здравствуйте, {{1}}" },
      footer: "Магазин",
    } as TemplateRow;
    expect(renderTemplate(row, { name: "order_ready", params: ["№5"], headerParams: ["Иван"] })).toBe("Здравствуйте, Иван\nЗаказ №5 готов\nМагазин");
  });
});

describe("the 24-hour customer-service window", () => {
  const now = new Date("2026-12-03T12:00:00Z");
  it("is open within 24 h of the client's last message and closed after", () => {
    expect(windowOpen(new Date("2026-12-02T12:00:01Z"), 24, now)).toBe(true);
    expect(windowOpen(new Date("2026-12-02T12:00:00Z"), 24, now)).toBe(false);
    expect(windowOpen(null, 24, now)).toBe(false);
  });
});

describe("the manager's language from the CRM's domain", () => {
  it.each([
    ["example.bitrix24.ru", "ru"],
    ["shop.bitrix24.by", "ru"],
    ["acc.amocrm.ru", "ru"],
    ["corp.bitrix24.kz:443", "ru"],
    ["company.kommo.com", "en"],
    ["portal.bitrix24.de", "en"],
    [null, "en"],
  ])("%s -> %s", (domain, lang) => {
    expect(languageOfDomain(domain)).toBe(lang);
  });
});
