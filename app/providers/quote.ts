/**
 * How a client's reply to an earlier message and a reaction reach a CRM chat. Neither CRM
 * chat takes a provider's quote or reaction as such (imconnector and amojo get text), so both
 * become text: the quoted words first, cut short, then the reply; a reaction as one line.
 */

/** The longest quote kept: enough to recognise the message, not a copy of it. */
const QUOTE_CHARS = 120;

/** The reply's text with the quoted message in front (`> …`), or the reply alone when nothing is quoted. */
export function withQuote(text: string | undefined, quoted: string | null | undefined): string | undefined {
  const words = quoted?.replace(/\s+/g, " ").trim();
  if (!words) return text;
  const cut = words.length > QUOTE_CHARS ? `${words.slice(0, QUOTE_CHARS - 1)}…` : words;
  return text ? `> ${cut}\n${text}` : `> ${cut}`;
}

/** A reaction as a line of text; an empty one (a reaction taken back) has nothing to show. */
export function reactionText(emoji: string | null | undefined): string | undefined {
  return emoji ? `Reaction ${emoji} to a message` : undefined;
}
