/**
 * Keeps the page current without a reload: the channel list every 20 s while the page is
 * visible (a channel's state changes when the phone logs in or out), and a shown QR code every
 * 5 s until the channel is connected (login QR codes expire within seconds, so a code left on
 * screen soon cannot be scanned). Timers are the page's setTimeout, so tests can drive them. Browser
 * JavaScript in a string; runs after the channel and message scripts in the same scope.
 */
export const PAGE_LIVE_SCRIPT = String.raw`
const CHANNELS_REFRESH_MS = 20000;
const QR_REFRESH_MS = 5000;

let channelsTimer = null;
const qrTimers = new Map();

function pageVisible() {
  return document.visibilityState !== "hidden";
}

/**
 * Re-rendering the cards takes the focus out of a box being typed in (the typed text itself is
 * kept in state): a round that finds the admin typing in a card waits for the next one.
 */
function typingInChannels() {
  const active = document.activeElement;
  const list = document.getElementById("cb-channels");
  if (!active || !list || typeof list.contains !== "function" || !list.contains(active)) return false;
  return /^(input|select|textarea)$/i.test(active.tagName);
}

function armChannelRefresh() {
  clearTimeout(channelsTimer);
  channelsTimer = pageVisible() ? setTimeout(refreshChannelsNow, CHANNELS_REFRESH_MS) : null;
}

async function refreshChannelsNow() {
  channelsTimer = null;
  if (typingInChannels()) return armChannelRefresh();
  try {
    await reloadChannels();
  } catch (err) {
    // an expired session will not come back by polling: say so once and stop
    if (err instanceof ApiError && err.code === "unauthorized") {
      pageNote("error", messageOf(err));
      return;
    }
    // anything else keeps the last list on screen; the next round tries again
  }
  armChannelRefresh();
}

function armQrRefresh(channelId) {
  clearTimeout(qrTimers.get(channelId));
  qrTimers.set(channelId, setTimeout(() => refreshQrNow(channelId), QR_REFRESH_MS));
}

function stopQrRefresh(channelId) {
  clearTimeout(qrTimers.get(channelId));
  qrTimers.delete(channelId);
}

async function refreshQrNow(channelId) {
  qrTimers.delete(channelId);
  const channel = state.channels.find((c) => c.id === channelId);
  if (!channel || !state.qr.has(channelId)) return;
  // a hidden page does not poll; becoming visible again re-arms every shown QR code
  if (!pageVisible()) return;
  if (typingInChannels()) return armQrRefresh(channelId);
  try {
    note(channelId, "ok", await loadQr(channel));
  } catch (err) {
    // no further rounds after an error: "Refresh QR code" starts them again
    note(channelId, "error", messageOf(err));
  }
}

function startLiveRefresh() {
  document.addEventListener("visibilitychange", () => {
    if (!pageVisible()) {
      clearTimeout(channelsTimer);
      channelsTimer = null;
      return;
    }
    refreshChannelsNow();
    for (const channelId of state.qr.keys()) armQrRefresh(channelId);
  });
  armChannelRefresh();
}
`;
