import { describe, expect, it } from "vitest";
import { encodeBracketForm, parseBracketForm, splitBracketKey } from "../../../app/crm/bitrix24/bracket-form.js";

const form = (pairs: Array<[string, string]>) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");

describe("parseBracketForm: payload shapes from reference/bitrix24.md", () => {
  it.each<[string, string, unknown]>([
    [
      "ONAPPINSTALL auth block (1.3)",
      form([
        ["event", "ONAPPINSTALL"],
        ["data[VERSION]", "1"],
        ["data[LANGUAGE_ID]", "en"],
        ["auth[member_id]", "a223c6b3"],
        ["auth[expires_in]", "3600"],
        ["auth[application_token]", "51856fef"],
      ]),
      { event: "ONAPPINSTALL", data: { VERSION: "1", LANGUAGE_ID: "en" }, auth: { member_id: "a223c6b3", expires_in: "3600", application_token: "51856fef" } },
    ],
    [
      "ONIMCONNECTORMESSAGEADD messages and files (3.7)",
      form([
        ["data[CONNECTOR]", "acme_wa"],
        ["data[MESSAGES][0][im][chat_id]", "1807"],
        ["data[MESSAGES][0][message][text]", "[b]Klaus Weber:[/b] [br]Guten Tag!"],
        ["data[MESSAGES][0][message][files][0][name]", "a.jpg"],
        ["data[MESSAGES][0][message][files][0][link]", "https://x/a.jpg"],
        ["data[MESSAGES][0][chat][id]", "wa_15551234567"],
        ["data[MESSAGES][1][im][chat_id]", "1808"],
      ]),
      {
        data: {
          CONNECTOR: "acme_wa",
          MESSAGES: [
            {
              im: { chat_id: "1807" },
              message: { text: "[b]Klaus Weber:[/b] [br]Guten Tag!", files: [{ name: "a.jpg", link: "https://x/a.jpg" }] },
              chat: { id: "wa_15551234567" },
            },
            { im: { chat_id: "1808" } },
          ],
        },
      },
    ],
    [
      "robot document_id and properties (5.2)",
      "document_id[0]=crm&document_id[1]=CCrmDocumentDeal&document_id[2]=DEAL_42&properties[phone]=%2B15551234567&use_subscription=Y",
      { document_id: ["crm", "CCrmDocumentDeal", "DEAL_42"], properties: { phone: "+15551234567" }, use_subscription: "Y" },
    ],
    [
      "PLACEMENT_OPTIONS stays a JSON string (1.2, 3.4)",
      form([["PLACEMENT_OPTIONS", '{"CONNECTOR":"acme_wa","LINE":"3"}']]),
      { PLACEMENT_OPTIONS: '{"CONNECTOR":"acme_wa","LINE":"3"}' },
    ],
    ["ONIMCONNECTORLINEDELETE: data is a scalar (3.9)", "event=ONIMCONNECTORLINEDELETE&data=3", { event: "ONIMCONNECTORLINEDELETE", data: "3" }],
    ["a[]= appends", "a[]=x&a[]=y&a[]=z", { a: ["x", "y", "z"] }],
    ["a[]= after explicit indexes continues after the largest", "a[5]=x&a[]=y", { a: { "5": "x", "6": "y" } }],
    ["indexes given out of order but dense from 0 make an array in index order", "a[1]=y&a[0]=x", { a: ["x", "y"] }],
    ["sparse numeric keys stay an object", "a[0]=x&a[2]=z", { a: { "0": "x", "2": "z" } }],
    ["numeric keys not from 0 stay an object", "a[1]=x", { a: { "1": "x" } }],
    ["non-canonical numbers are keys, not indexes", "a[00]=x&a[0]=y", { a: { "00": "x", "0": "y" } }],
    ["repeated plain key: the last wins, as in PHP", "a=1&a=2", { a: "2" }],
    ["a scalar then a subtree: the subtree wins", "a=1&a[b]=2", { a: { b: "2" } }],
    ["a subtree then a scalar: the scalar wins", "a[b]=2&a=1", { a: "1" }],
    ["unclosed bracket: the key is taken literally", "a[b=1", { "a[b": "1" }],
    ["text after the last bracket is ignored, as in PHP", "a[b]c=1", { a: { b: "1" } }],
    ["empty values and + as space", "a=&b=x+y", { a: "", b: "x y" }],
    ["an empty key is dropped", "=x&b=1", { b: "1" }],
  ])("happy: %s", (_name, body, expected) => {
    expect(parseBracketForm(body)).toEqual(expected);
  });

  it("appends after a huge index keep every value (indexes over 15 digits are plain keys)", () => {
    const parsed = parseBracketForm("a[9999999999999999]=x&a[]=y&a[]=z&a[]=w");
    expect(parsed).toEqual({ a: { "9999999999999999": "x", "0": "y", "1": "z", "2": "w" } });
  });

  it("happy: no depth truncation (PHP stops at 64 levels; we do not), without recursion", () => {
    const depth = 20_000;
    const key = `a${"[x]".repeat(depth)}`;
    let node: unknown = parseBracketForm(`${encodeURIComponent(key)}=deep`);
    for (let i = 0; i < depth; i++) node = (node as Record<string, unknown>)[i === 0 ? "a" : "x"];
    expect((node as Record<string, unknown>).x).toBe("deep");
  });

  it("happy: no input count truncation (PHP's max_input_vars is 1000)", () => {
    const body = Array.from({ length: 5000 }, (_, i) => `ids[]=${i}`).join("&");
    const ids = parseBracketForm(body).ids as string[];
    expect(ids).toHaveLength(5000);
    expect(ids[4999]).toBe("4999");
  });

  it("security: __proto__ paths are ignored and Object.prototype stays clean", () => {
    const parsed = parseBracketForm("__proto__[polluted]=1&a[__proto__][polluted]=1&a[b]=ok&constructor[prototype][polluted]=1");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
    expect(parsed.a).toEqual({ b: "ok" });
    expect(Object.getPrototypeOf(parsed.a)).toBe(Object.prototype);
    // constructor is an ordinary own key holding data, not a way into the prototype chain
    expect(Object.hasOwn(parsed, "constructor")).toBe(true);
    expect(parsed.constructor).toEqual({ prototype: { polluted: "1" } });
    expect(Object.hasOwn(parsed, "__proto__")).toBe(false);
  });

  it("security: a huge index does not allocate a huge array", () => {
    const parsed = parseBracketForm("a[4294967295]=x&b[99999999999999999999]=y");
    expect(parsed).toEqual({ a: { "4294967295": "x" }, b: { "99999999999999999999": "y" } });
  });
});

describe("splitBracketKey", () => {
  it.each<[string, string[]]>([
    ["plain", ["plain"]],
    ["a[b][c]", ["a", "b", "c"]],
    ["a[][b]", ["a", "", "b"]],
    ["[a]", ["[a]"]],
    ["a[b][c", ["a", "b"]],
  ])("happy: %s", (key, expected) => {
    expect(splitBracketKey(key)).toEqual(expected);
  });
});

describe("encodeBracketForm", () => {
  it("happy: nested params the way http_build_query writes them, and back", () => {
    const params = {
      CONNECTOR: "acme_wa",
      LINE: 3,
      ACTIVE: true,
      MESSAGES: [{ user: { id: "wa:1555", name: "John" }, message: { id: "wamid.X", text: "Hi & bye" } }],
      skipped: undefined,
      nothing: null,
    };
    const encoded = encodeBracketForm(params);
    expect(encoded).toBe(
      "CONNECTOR=acme_wa&LINE=3&ACTIVE=1&MESSAGES%5B0%5D%5Buser%5D%5Bid%5D=wa%3A1555&MESSAGES%5B0%5D%5Buser%5D%5Bname%5D=John" +
        "&MESSAGES%5B0%5D%5Bmessage%5D%5Bid%5D=wamid.X&MESSAGES%5B0%5D%5Bmessage%5D%5Btext%5D=Hi+%26+bye",
    );
    expect(parseBracketForm(encoded)).toEqual({
      CONNECTOR: "acme_wa",
      LINE: "3",
      ACTIVE: "1",
      MESSAGES: [{ user: { id: "wa:1555", name: "John" }, message: { id: "wamid.X", text: "Hi & bye" } }],
    });
  });

  it("happy: false is 0 and empty containers are left out", () => {
    expect(encodeBracketForm({ a: false, b: [], c: {}, d: "" })).toBe("a=0&d=");
  });
});
