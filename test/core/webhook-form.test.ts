import { describe, expect, it } from "vitest";
import { AppError } from "../../app/core/errors.js";
import { fillTemplate, isTestSubmission, planFormSubmission } from "../../app/core/webhook-form.js";

describe("fillTemplate", () => {
  it("fills fields by name in any case, joins lists, keeps unknown placeholders as written and lists each once", () => {
    const fields = { Name: "Иван", "Services[0]": "Стрижка", "Services[1]": "Укладка", empty: "" };
    expect(fillTemplate("{name} / {SERVICES} / { Name } / {empty}. {Коммент} {Коммент} {}", fields)).toEqual({
      text: "Иван / Стрижка, Укладка / Иван / . {Коммент} {Коммент} {}",
      unknownFields: ["Коммент"],
    });
  });

  it("a value that looks like a placeholder is not filled again", () => {
    expect(fillTemplate("{a}", { a: "{b}", b: "x" }).text).toBe("{b}");
  });
});

describe("isTestSubmission", () => {
  it("is Tilda's test=test only", () => {
    expect(isTestSubmission({ test: "test" })).toBe(true);
    expect(isTestSubmission({ TEST: "Test" })).toBe(true);
    expect(isTestSubmission({ test: "yes", Phone: "79001234567" })).toBe(false);
    expect(isTestSubmission({ Name: "test" })).toBe(false);
  });
});

describe("planFormSubmission", () => {
  const base = { kind: "wa" as const, region: "RU" as const };

  it("one submission: body to `to`, visitor_body to the visitor, each keyed by the submission id and its recipient", () => {
    const plan = planFormSubmission(
      { ...base, body: "Заявка {Name}", to: "8 900 111-22-33", visitorBody: "Спасибо, {Name}" },
      { Name: "Иван", Phone: "+7 900 123-45-67", tranid: "123:456" },
    );
    expect(plan.primary).toEqual({ peer: { phone: "79001112233" }, text: "Заявка Иван", requestId: "form:123:456:79001112233" });
    expect(plan.visitor).toEqual({ message: { peer: { phone: "79001234567" }, text: "Спасибо, Иван", requestId: "form:123:456:visitor:79001234567" } });
  });

  it("without a submission id there is no idempotency key; a Telegram `to` may be a chat", () => {
    const plan = planFormSubmission({ ...base, kind: "tg", body: "x", to: "@manager_chat" }, { Name: "Иван" });
    expect(plan.primary).toEqual({ peer: { chatId: "@manager_chat" }, text: "x", requestId: undefined });
    expect(plan.visitor).toBeUndefined();
  });

  it("the visitor's missing phone drops only the confirmation", () => {
    const plan = planFormSubmission({ ...base, body: "x", to: "79001112233", visitorBody: "y" }, { Name: "Иван" });
    expect(plan.primary.peer).toEqual({ phone: "79001112233" });
    expect(plan.visitor && "error" in plan.visitor && plan.visitor.error.code).toBe("invalid_parameter");
  });

  it("reads the visitor's phone in the given country", () => {
    const plan = planFormSubmission({ ...base, region: "BY", body: "x" }, { tel: "8 029 123-45-67" });
    expect(plan.primary.peer).toEqual({ phone: "375291234567" });
  });

  it("refuses a submission id that is too long or has control characters", () => {
    for (const tranid of ["x".repeat(101), "a\nb"]) {
      expect(() => planFormSubmission({ ...base, body: "x" }, { Phone: "79001234567", tranid })).toThrow(AppError);
    }
  });
});
