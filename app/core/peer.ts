import type { Peer } from "../providers/types.js";

/**
 * One string per client of a channel, used as conversations.peer and messages.peer: the
 * phone digits, or `chat:<id>` for messenger peers without a phone (Telegram users). The
 * prefix keeps a numeric Telegram chat id from being mistaken for a phone number.
 */
export function peerKey(peer: Peer): string {
  if (peer.phone) return peer.phone;
  if (peer.chatId) return `chat:${peer.chatId}`;
  throw new Error("a peer needs a phone or a chat id");
}

export function peerFromKey(key: string, name?: string | null): Peer {
  const peer: Peer = key.startsWith("chat:") ? { chatId: key.slice(5) } : { phone: key };
  if (name) peer.name = name;
  return peer;
}
