/**
 * CRM markup (Bitrix24 BB-codes) to Telegram's `parse_mode: "HTML"` (channels-next.md 1
 * "Outbound"). HTML rather than MarkdownV2: MarkdownV2 rejects every unescaped `. - ( ) !` with
 * 400 "can't parse entities" (channels-next.md 6), while HTML needs only `& < >` escaped.
 *
 * Known tags become HTML only when they pair up with proper nesting; an unmatched or crossing
 * tag stays literal text (escaped), so no input can produce HTML Telegram refuses. A long text is
 * split before conversion, so a [b]…[/b] cut in two shows its tags literally in both parts.
 */

type Tag = "b" | "i" | "u" | "s" | "url" | "quote";

type Token =
  | { kind: "text"; text: string }
  | { kind: "br" }
  | { kind: "code"; text: string }
  /** [url]https://…[/url]: the link is its own label */
  | { kind: "link"; href: string }
  | { kind: "open"; tag: Tag; arg?: string; raw: string; paired: boolean }
  | { kind: "close"; tag: Tag; raw: string; paired: boolean };

const PAIRED: ReadonlySet<string> = new Set(["b", "i", "u", "s", "url", "quote"]);
const TAG = /\[(\/?)(b|i|u|s|url|quote|code|br)(?:=([^\]\n]*))?\]/gi;
/** Telegram opens these links; javascript: and the like must not become an href */
const SAFE_HREF = /^(https?:\/\/|tg:\/\/|mailto:)[^\s"<>]+$/i;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function unquote(arg: string): string {
  return arg.trim().replace(/^(["'])(.*)\1$/, "$2").trim();
}

/** Splits the text into tags and text, then pairs open and close tags like a stack. */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const pushText = (text: string) => {
    if (text === "") return;
    const last = tokens.at(-1);
    if (last?.kind === "text") last.text += text;
    else tokens.push({ kind: "text", text });
  };
  TAG.lastIndex = 0;
  let at = 0;
  for (let m = TAG.exec(source); m; m = TAG.exec(source)) {
    const [raw, slash, rawName, arg] = m;
    const name = rawName!.toLowerCase();
    pushText(source.slice(at, m.index));
    at = m.index + raw.length;
    if (name === "br" && !slash) {
      tokens.push({ kind: "br" });
      continue;
    }
    // [code] and [url] without an argument take their content verbatim: no tags inside
    if (!slash && (name === "code" || (name === "url" && arg === undefined))) {
      const end = source.toLowerCase().indexOf(`[/${name}]`, at);
      if (end >= 0) {
        const inner = source.slice(at, end);
        at = TAG.lastIndex = end + name.length + 3;
        if (name === "code") tokens.push({ kind: "code", text: inner });
        else if (SAFE_HREF.test(inner.trim())) tokens.push({ kind: "link", href: inner.trim() });
        else pushText(inner);
        continue;
      }
    }
    // only [url=…] and [quote=author] take an argument; [/b=x], [i=x]… are not tags
    if (!PAIRED.has(name) || (arg !== undefined && (slash || (name !== "url" && name !== "quote")))) {
      pushText(raw);
      continue;
    }
    const tag = name as Tag;
    tokens.push(
      slash
        ? { kind: "close", tag, raw, paired: false }
        : { kind: "open", tag, raw, paired: false, ...(arg !== undefined ? { arg: unquote(arg) } : {}) },
    );
  }
  pushText(source.slice(at));

  const open: Array<Extract<Token, { kind: "open" }>> = [];
  for (const token of tokens) {
    if (token.kind === "open") open.push(token);
    if (token.kind !== "close") continue;
    const depth = open.map((o) => o.tag).lastIndexOf(token.tag);
    if (depth < 0) continue; // a close without an open: literal
    // tags opened inside but not closed cross this one: they stay literal
    open.length = depth + 1;
    open.pop()!.paired = true;
    token.paired = true;
  }
  return tokens;
}

const HTML_TAG: Record<Exclude<Tag, "url">, string> = { b: "b", i: "i", u: "u", s: "s", quote: "blockquote" };

/** Telegram HTML for a CRM text: escaped first, then the paired BB-codes as tags. */
export function crmToTelegramHtml(source: string): string {
  const tokens = tokenize(source);
  let out = "";
  // Telegram refuses a link inside a link and a blockquote inside a blockquote: inner ones are flattened
  const openLinks: boolean[] = [];
  let quoteDepth = 0;
  for (const token of tokens) {
    switch (token.kind) {
      case "text":
        out += escapeHtml(token.text);
        break;
      case "br":
        out += "\n"; // Telegram HTML has no <br>: line breaks are plain newlines
        break;
      case "code":
        out += `<code>${escapeHtml(token.text)}</code>`;
        break;
      case "link":
        out += openLinks.includes(true) ? escapeHtml(token.href) : `<a href="${escapeHtml(token.href)}">${escapeHtml(token.href)}</a>`;
        break;
      case "open":
      case "close": {
        if (!token.paired) {
          out += escapeHtml(token.raw);
          break;
        }
        const opening = token.kind === "open";
        if (token.tag === "url") {
          if (opening) {
            const href = token.arg ?? "";
            const linked = SAFE_HREF.test(href) && !openLinks.includes(true);
            openLinks.push(linked);
            if (linked) out += `<a href="${escapeHtml(href).replace(/"/g, "&quot;")}">`;
          } else if (openLinks.pop()) out += "</a>";
          break;
        }
        if (token.tag === "quote") {
          quoteDepth += opening ? 1 : -1;
          if ((opening && quoteDepth > 1) || (!opening && quoteDepth > 0)) break;
        }
        out += opening ? `<${HTML_TAG[token.tag]}>` : `</${HTML_TAG[token.tag]}>`;
        break;
      }
    }
  }
  return out;
}

/**
 * The same text without markup, for the one retry Telegram gets after it refused our HTML
 * (400 "can't parse entities"): links keep their address beside the label.
 */
export function crmToPlainText(source: string): string {
  let out = "";
  const links: Array<{ href: string; start: number }> = [];
  for (const token of tokenize(source)) {
    if (token.kind === "text" || token.kind === "code") out += token.text;
    else if (token.kind === "br") out += "\n";
    else if (token.kind === "link") out += token.href;
    else if (!token.paired) out += token.raw;
    else if (token.tag === "url" && token.kind === "open") links.push({ href: token.arg ?? "", start: out.length });
    else if (token.tag === "url") {
      const link = links.pop();
      if (link?.href && out.slice(link.start).trim() !== link.href) out += ` (${link.href})`;
    }
  }
  return out;
}

/** Characters Telegram counts for a limit (after entity parsing): the text without tags, entities decoded. */
export function visibleLength(html: string): number {
  const text = html.replace(/<[^>]*>/g, "").replace(/&(lt|gt|amp|quot);/g, "_");
  return text.length;
}
