import { describe, expect, it } from "vitest";
import { bbcodeToMessenger } from "../../../app/crm/bitrix24/connector/bbcode.js";

describe("BB-codes of operator text -> messenger text (3.7)", () => {
  it.each([
    ["[b]Klaus Weber:[/b] [br]Guten Tag!", "*Klaus Weber:*\nGuten Tag!"],
    ["[b]bold[/b] [i]italic[/i] [s]struck[/s]", "*bold* _italic_ ~struck~"],
    ["[B]upper[/B][BR]case", "*upper*\ncase"],
    ["[b] spaced [/b]x", "*spaced* x"],
    ["a[b] b [/b]c", "a *b* c"],
    ["see [url=https://shop.example/p/1]our offer[/url]", "see our offer (https://shop.example/p/1)"],
    ["[url=https://shop.example]https://shop.example[/url]", "https://shop.example"],
    ["[url]https://shop.example/x[/url]", "https://shop.example/x"],
    ["[u]under[/u] [color=#ff0000]red[/color] [USER=27]Anna[/USER]", "under red Anna"],
    ["[quote]old text[/quote]answer", "old textanswer"],
    ["line one[br][br][br][br]line two", "line one\n\nline two"],
    ["price [1] and [2]", "price [1] and [2]"],
    ["plain", "plain"],
  ])("%j -> %j", (input, expected) => {
    expect(bbcodeToMessenger(input)).toBe(expected);
  });
});
