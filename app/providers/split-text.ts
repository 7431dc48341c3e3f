/** WAMM refuses texts over 1500 characters ("text fail, more 1500", seed 002). */
export const WAMM_TEXT_LIMIT = 1500;

// Shared by every provider whose messenger caps a text (WAMM 1500, Telegram and the Cloud API 4096).

/**
 * Splits a text into parts of at most `limit` characters (code points, so an emoji is never cut
 * in half), cutting at the last line break in the second half of the window, else at the last
 * space there, else at any line break or space, else hard. The separator at a cut is dropped.
 */
export function splitText(text: string, limit = WAMM_TEXT_LIMIT): string[] {
  const chars = Array.from(text);
  if (chars.length <= limit) return [text];
  const parts: string[] = [];
  let rest = chars;
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1); // the char right after the window may be the separator
    const lastIndex = (pred: (c: string) => boolean, from: number) => {
      for (let i = limit; i >= from; i--) if (pred(window[i]!)) return i;
      return -1;
    };
    const isBreak = (c: string) => c === "\n";
    const isSpace = (c: string) => /\s/.test(c);
    const half = Math.floor(limit / 2);
    let cut = lastIndex(isBreak, half);
    if (cut < 0) cut = lastIndex(isSpace, half);
    if (cut < 0) cut = lastIndex(isBreak, 1);
    if (cut < 0) cut = lastIndex(isSpace, 1);
    const part = cut < 0 ? rest.slice(0, limit) : rest.slice(0, cut);
    rest = cut < 0 ? rest.slice(limit) : rest.slice(cut + 1);
    const joined = part.join("").replace(/\s+$/, "");
    if (joined !== "") parts.push(joined);
  }
  const tail = rest.join("");
  if (tail.trim() !== "") parts.push(tail);
  return parts;
}
