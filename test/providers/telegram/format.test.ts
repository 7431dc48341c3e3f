import { describe, expect, it } from "vitest";
import { crmToPlainText, crmToTelegramHtml, visibleLength } from "../../../app/providers/telegram/format.js";
import { htmlProblem } from "./fake.js";

describe("telegram: CRM markup -> Telegram HTML", () => {
  const table: Array<[string, string, string]> = [
    ["escapes & < > before anything else", "a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"],
    ["bold, any case", "[b]bold[/b] [B]BOLD[/B]", "<b>bold</b> <b>BOLD</b>"],
    ["italic, underline, strike", "[i]i[/i] [u]u[/u] [s]s[/s]", "<i>i</i> <u>u</u> <s>s</s>"],
    ["nested tags", "[b]a [i]b[/i][/b]", "<b>a <i>b</i></b>"],
    ["link with a label; & in the address escaped", "[url=https://example.com/?a=1&b=2]site[/url]", '<a href="https://example.com/?a=1&amp;b=2">site</a>'],
    ["link with a quoted address", '[url="https://example.com/a"]q[/url]', '<a href="https://example.com/a">q</a>'],
    ["bare link", "[url]https://example.com[/url]", '<a href="https://example.com">https://example.com</a>'],
    ["bold inside a link", "[url=https://e.com][b]x[/b][/url]", '<a href="https://e.com"><b>x</b></a>'],
    ["[br] is a newline (Telegram HTML has no <br>)", "line1[br]line2[BR]3", "line1\nline2\n3"],
    ["code keeps its content verbatim, escaped", "[code]<tag> [b]x[/b][/code]", "<code>&lt;tag&gt; [b]x[/b]</code>"],
    ["quote", "[quote]q[/quote]", "<blockquote>q</blockquote>"],
    ["quote with an author", "[quote=Anna]q[/quote]", "<blockquote>q</blockquote>"],
    ["nested quotes are flattened (Telegram refuses them)", "[quote]a[quote]b[/quote]c[/quote]", "<blockquote>abc</blockquote>"],
    ["unknown tags stay literal", "[color=red]x[/color] [img]y[/img]", "[color=red]x[/color] [img]y[/img]"],
    ["an unclosed tag stays literal", "[b]unclosed", "[b]unclosed"],
    ["a close without an open stays literal", "closed[/b]", "closed[/b]"],
    ["crossing tags: the inner one stays literal", "[b][i]x[/b][/i]", "<b>[i]x</b>[/i]"],
    ["an unsafe link address is dropped, the label kept", "[url=javascript:alert(1)]x[/url]", "x"],
    ["a bare link that is no URL stays text", "[url]not a link[/url]", "not a link"],
    ["markup inside tags is still escaped", "[b]<script>&[/b]", "<b>&lt;script&gt;&amp;</b>"],
    ["a tag argument where none belongs is literal", "[b=1]x[/b]", "[b=1]x[/b]"],
    ["an unclosed [code] stays literal", "[code]x", "[code]x"],
  ];
  for (const [name, source, html] of table) {
    it(name, () => {
      expect(crmToTelegramHtml(source)).toBe(html);
      expect(htmlProblem(html)).toBeUndefined();
    });
  }

  it("never produces HTML Telegram would refuse, whatever the mix of tags (random inputs)", () => {
    const pieces = ["[b]", "[/b]", "[i]", "[/i]", "[u]", "[/u]", "[s]", "[/s]", "[url=https://e.com]", "[url=x]", "[/url]", "[url]", "[quote]", "[/quote]", "[code]", "[/code]", "[br]", "<", ">", "&", '"', "text", " ", "[", "]", "[color=red]"];
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 2000; n++) {
      const source = Array.from({ length: 1 + (next() % 14) }, () => pieces[next() % pieces.length]).join("");
      const html = crmToTelegramHtml(source);
      expect(htmlProblem(html), `${source} -> ${html}`).toBeUndefined();
      expect(visibleLength(html)).toBeLessThanOrEqual(source.length);
    }
  });

  it("plain text for the retry after 'can't parse entities': tags gone, link addresses kept", () => {
    expect(crmToPlainText("[url=https://e.com]site[/url] [b]x[/b][br]y [url=https://e.com]https://e.com[/url]")).toBe(
      "site (https://e.com) x\ny https://e.com",
    );
    expect(crmToPlainText("[b]unclosed <ok> & [color=red]")).toBe("[b]unclosed <ok> & [color=red]");
  });
});
