/**
 * The channel list: one card per channel with its URLs, QR code (and pairing code,
 * page-script-pairing.ts), test message, webhook URL regeneration, rename, pacing, fallbacks
 * and caps (page-script-channel-edit.ts), its group, warning and events
 * (page-script-failover.ts), delete and, on the connector placement, "connect to this Open
 * Line". Browser JavaScript in a string; it runs after PAGE_CORE_SCRIPT in the same scope.
 * The list is re-rendered often (live refresh, every action), so what the admin typed lives in
 * state, not in the inputs.
 */
export const PAGE_CHANNELS_SCRIPT = String.raw`
const state = { channels: boot.channels, providers: [], boundChannelId: boot.boundChannelId, qr: new Map(), phones: new Map(), editing: new Set() };

function providerOf(name) {
  return state.providers.find((p) => p.name === name);
}

function channelPath(channel, rest) {
  return "/channels/" + encodeURIComponent(channel.id) + (rest || "");
}

function renderLineBinding() {
  const target = document.getElementById("cb-line-binding");
  if (!target || !boot.line) return;
  const bound = state.channels.find((c) => c.id === state.boundChannelId);
  target.textContent = bound ? t("lineBound", { name: bound.name }) : t("lineUnbound");
}

function renderChannels() {
  const list = document.getElementById("cb-channels");
  const cards = state.channels.map(channelCard);
  list.replaceChildren(...(cards.length > 0 ? cards : [el("p", { className: "cb-empty", text: t("noChannels") })]));
  renderLineBinding();
  syncMessageChannelFilter();
  fit();
}

async function reloadChannels() {
  state.channels = (await api("GET", "/channels")).channels;
  renderChannels();
}

function urlRow(channelId, label, value, hint, extra) {
  if (!value) return null;
  const input = el("input", { type: "text", readOnly: true, value, className: "cb-url", onfocus: (ev) => ev.currentTarget.select() });
  return el("div", { className: "cb-field" }, [
    el("label", { className: "cb-label", text: label }),
    el("div", { className: "cb-inline" }, [input, button(t("copy"), () => copyText(input, channelId), "cb-secondary"), extra]),
    hint ? el("small", { className: "cb-hint", text: hint }) : null,
  ]);
}

/**
 * The webhook API's docs in the admin's language, for this channel's URL. The URL rides in the
 * fragment, which the browser never sends, so the secret token stays out of server logs; the
 * docs page fills its examples in from it.
 */
function docsLink(webhookUrl) {
  if (!webhookUrl) return null;
  return el("a", { className: "cb-docs", href: boot.docsUrl + "#url=" + encodeURIComponent(webhookUrl), target: "_blank", rel: "noopener noreferrer", text: t("docs") });
}

function qrBlock(channel) {
  const dataUrl = state.qr.get(channel.id);
  if (!dataUrl) return null;
  return el("div", { className: "cb-qr" }, [
    el("img", { src: dataUrl, alt: t("qrAlt"), width: 240, height: 240 }),
    el("small", { className: "cb-hint", text: t("qrHint") }),
    button(t("refreshQr"), (b) => runAction(channel.id, b, () => loadQr(channel)), "cb-secondary"),
  ]);
}

async function loadQr(channel) {
  const answer = await api("GET", channelPath(channel, "/qr"));
  // only an image data URL goes into src: anything else from a provider is not shown
  if (typeof answer.qr === "string" && /^data:image\/(png|jpeg|gif|svg\+xml|webp);/.test(answer.qr)) {
    state.qr.set(channel.id, answer.qr);
    armQrRefresh(channel.id);
    renderChannels();
    return t("qrHint");
  }
  state.qr.delete(channel.id);
  stopQrRefresh(channel.id);
  // the provider now reports the channel logged in: the card's state badge should say so too
  await reloadChannels();
  return t("qrConnected");
}

function bindControl(channel) {
  if (!boot.line) return null;
  if (state.boundChannelId === channel.id) return el("span", { className: "cb-badge cb-badge-ok", text: t("boundHere") });
  return button(t("bind"), (b) =>
    runAction(channel.id, b, async () => {
      await api("POST", channelPath(channel, "/bind"), { line: boot.line });
      state.boundChannelId = channel.id;
      renderChannels();
      return t("bound", { line: boot.line });
    }),
  );
}

function testControl(channel) {
  const phone = el("input", {
    type: "tel",
    className: "cb-phone",
    placeholder: "79001234567",
    autocomplete: "off",
    value: state.phones.get(channel.id) || "",
    oninput: (ev) => state.phones.set(channel.id, ev.currentTarget.value),
  });
  phone.setAttribute("aria-label", t("testPhone"));
  return el("div", { className: "cb-inline" }, [
    phone,
    button(t("sendTest"), (b) =>
      runAction(channel.id, b, async () => {
        const answer = await api("POST", channelPath(channel, "/test"), { phone: phone.value, request_id: newRequestId() });
        return t("testQueued", { status: answer.status });
      }), "cb-secondary"),
  ]);
}

function regenerateControl(channel) {
  return button(t("regenerate"), (b) => {
    if (!window.confirm(t("confirmRegenerate", { name: channel.name }))) return;
    runAction(channel.id, b, async () => {
      await api("POST", channelPath(channel, "/webhook-token"));
      await reloadChannels();
      return t("regenerated");
    });
  }, "cb-secondary");
}

function deleteControl(channel) {
  return button(t("remove"), async (b) => {
    if (!window.confirm(t("confirmDelete", { name: channel.name }))) return;
    b.disabled = true;
    try {
      const answer = await api("DELETE", channelPath(channel));
      if (state.boundChannelId === channel.id) state.boundChannelId = null;
      state.qr.delete(channel.id);
      stopQrRefresh(channel.id);
      await reloadChannels();
      pageNote(answer.warning ? "error" : "ok", t("deleted", { name: channel.name }) + (answer.warning ? " " + answer.warning : ""));
    } catch (err) {
      note(channel.id, "error", messageOf(err));
      b.disabled = false;
    }
  }, "cb-danger");
}

function channelCard(channel) {
  const provider = providerOf(channel.provider);
  const actions = el("div", { className: "cb-actions" }, [
    bindControl(channel),
    provider && provider.capabilities.qrLogin ? button(t("showQr"), (b) => runAction(channel.id, b, () => loadQr(channel)), "cb-secondary") : null,
    editToggle(channel),
    regenerateControl(channel),
    deleteControl(channel),
  ]);
  return el("article", { className: "cb-card" + (state.boundChannelId === channel.id ? " cb-card-bound" : "") }, [
    el("header", { className: "cb-card-head" }, [
      el("strong", { text: channel.name }),
      el("span", { className: "cb-muted", text: (provider ? provider.title : channel.provider) + " · " + channel.messenger }),
      el("span", { className: "cb-badge cb-state-" + channel.state, text: t("state") + ": " + t("state_" + channel.state) }),
    ]),
    identityRow(channel),
    groupBlock(channel),
    urlRow(channel.id, t("webhookUrl"), channel.webhook_url, "", docsLink(channel.webhook_url)),
    // the phone gateway's URL is called by the phone itself, not pasted into a provider's console
    channel.provider === "gateway"
      ? urlRow(channel.id, t("phoneUrl"), channel.hook_url, t("phoneUrlHint"))
      : urlRow(channel.id, t("hookUrl"), channel.hook_url, t("hookUrlHint")),
    urlRow(channel.id, t("verifyToken"), channel.hook_verify_token, t("verifyTokenHint")),
    qrBlock(channel),
    pairingBlock(channel),
    templatesBlock(channel),
    editBlock(channel),
    testControl(channel),
    eventsBlock(channel),
    actions,
    noteSlot(channel.id),
  ]);
}
`;
