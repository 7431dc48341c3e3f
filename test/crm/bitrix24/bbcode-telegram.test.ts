import { describe, expect, it } from "vitest";
import { bbcodeForTelegramBot } from "../../../app/crm/bitrix24/connector/bbcode.js";
import { crmToTelegramHtml } from "../../../app/providers/telegram/format.js";
import { htmlProblem } from "../../providers/telegram/fake.js";

/**
 * Operator text for a Telegram bot channel: the BB-codes the provider turns into HTML stay for
 * it, everything else is stripped as for other messengers; what the provider then makes of it is
 * HTML Telegram parses.
 */
describe("BB-codes of operator text -> Telegram bot provider input (3.7)", () => {
  it.each([
    ["[b]Klaus Weber:[/b] [br]Guten Tag!", "[b]Klaus Weber:[/b]\nGuten Tag!", "<b>Klaus Weber:</b>\nGuten Tag!"],
    ["[i]x[/i] [u]y[/u] [s]z[/s]", "[i]x[/i] [u]y[/u] [s]z[/s]", "<i>x</i> <u>y</u> <s>z</s>"],
    ["see [url=https://shop.example/p/1]our offer[/url]", "see [url=https://shop.example/p/1]our offer[/url]", 'see <a href="https://shop.example/p/1">our offer</a>'],
    ["[color=#ff0000]red[/color] [USER=27]Anna[/USER] [icon=1]", "red Anna", "red Anna"],
    ["1 < 2 & [b]3 > 2[/b]", "1 < 2 & [b]3 > 2[/b]", "1 &lt; 2 &amp; <b>3 &gt; 2</b>"],
    ["line one[br][br][br][br]line two", "line one\n\nline two", "line one\n\nline two"],
    ["price [1] and [2]", "price [1] and [2]", "price [1] and [2]"],
  ])("%j", (input, kept, html) => {
    expect(bbcodeForTelegramBot(input)).toBe(kept);
    expect(crmToTelegramHtml(kept)).toBe(html);
    expect(htmlProblem(html)).toBeUndefined();
  });
});
