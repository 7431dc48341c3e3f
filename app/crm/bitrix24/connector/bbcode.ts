/**
 * Operator text arrives with Bitrix24 BB-codes (3.7: `[b]Name:[/b][br]text` signature,
 * `[url=...]`, quotes, mentions). Messengers take plain text with WhatsApp-style marks, which
 * Telegram clients show literally but readably. Known codes are converted, every other tag is
 * stripped (as open-source connectors do with `\[[^\]]*\]`, 3.7), only tags with a letter name
 * are touched so that text like "[1]" survives.
 */
const SIMPLE_MARKS: ReadonlyArray<[tag: string, mark: string]> = [
  ["b", "*"],
  ["i", "_"],
  ["s", "~"],
];

export function bbcodeToMessenger(input: string): string {
  let text = input.replace(/\[br\s*\/?\]/gi, "\n");
  // [url=https://x]label[/url] -> "label (https://x)"; the label alone would hide where it goes
  text = text.replace(/\[url=([^\]]+)\]([\s\S]*?)\[\/url\]/gi, (_m, url: string, label: string) => {
    const href = url.trim().replace(/^["']|["']$/g, "");
    const shown = label.trim();
    return shown === "" || shown === href ? href : `${shown} (${href})`;
  });
  text = text.replace(/\[url\]([\s\S]*?)\[\/url\]/gi, (_m, url: string) => url.trim());
  for (const [tag, mark] of SIMPLE_MARKS) {
    const pattern = new RegExp(`\\[${tag}\\]([\\s\\S]*?)\\[\\/${tag}\\]`, "gi");
    // the mark goes around the trimmed content: WhatsApp ignores "* bold *"
    text = text.replace(pattern, (_m, inner: string) => {
      const core = inner.trim();
      if (core === "") return inner;
      const lead = inner.slice(0, inner.indexOf(core));
      const trail = inner.slice(inner.indexOf(core) + core.length);
      return `${lead}${mark}${core}${mark}${trail}`;
    });
  }
  text = text.replace(/\[\/?[a-z][a-z0-9_-]*(?:=[^\]]*)?\]/gi, "");
  return text
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** BB-codes the Telegram Bot API provider turns into HTML itself (providers/telegram/format.ts). */
const TELEGRAM_BOT_TAGS: ReadonlySet<string> = new Set(["b", "i", "u", "s", "url", "quote", "code"]);

/**
 * For a Telegram bot channel: the provider sends `parse_mode: "HTML"` made from the CRM's own
 * BB-codes, so the ones it knows stay for it (turning them into WhatsApp marks first would show
 * `*bold*` literally); line breaks become newlines and every other tag is stripped, as above.
 */
export function bbcodeForTelegramBot(input: string): string {
  const text = input
    .replace(/\[br\s*\/?\]/gi, "\n")
    .replace(/\[\/?([a-z][a-z0-9_-]*)(?:=[^\]]*)?\]/gi, (tag, name: string) => (TELEGRAM_BOT_TAGS.has(name.toLowerCase()) ? tag : ""));
  return text
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
