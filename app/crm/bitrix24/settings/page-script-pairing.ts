/**
 * Logging a number in by pairing code instead of the QR (providers with
 * capabilities.pairingLogin: WAHA, Evolution API): on a card not yet connected, a phone box and
 * a button that ask POST /api/channels/<id>/pairing-code, then the code, large, with where to
 * type it on the phone. Browser JavaScript in a string, run in the page's scope after
 * PAGE_CHANNELS_SCRIPT; what was typed and the code live in state, as cards re-render often.
 */
export const PAGE_PAIRING_SCRIPT = String.raw`
const pairingState = { phones: new Map(), codes: new Map() };

async function loadPairingCode(channel, phone) {
  const answer = await api("POST", channelPath(channel, "/pairing-code"), { phone });
  if (typeof answer.code === "string" && answer.code !== "") {
    pairingState.codes.set(channel.id, answer.code);
    renderChannels();
    return t("pairingCodeHint");
  }
  pairingState.codes.delete(channel.id);
  // the provider reports the channel logged in: the card's state badge should say so too
  await reloadChannels();
  return t("pairingConnected");
}

function pairingBlock(channel) {
  const provider = providerOf(channel.provider);
  if (!provider || !provider.capabilities.pairingLogin || channel.state === "connected") return null;
  const phone = el("input", {
    type: "tel",
    className: "cb-phone",
    placeholder: "79001234567",
    autocomplete: "off",
    value: pairingState.phones.get(channel.id) || "",
    oninput: (ev) => pairingState.phones.set(channel.id, ev.currentTarget.value),
  });
  phone.setAttribute("aria-label", t("pairingPhone"));
  const code = pairingState.codes.get(channel.id);
  return el("div", { className: "cb-field cb-pairing", "data-pairing": channel.id }, [
    el("label", { className: "cb-label", text: t("pairingTitle") }),
    el("div", { className: "cb-inline" }, [
      phone,
      button(t("pairingGet"), (b) => runAction(channel.id, b, () => loadPairingCode(channel, phone.value)), "cb-secondary"),
    ]),
    code ? el("output", { className: "cb-pairing-code", text: code }) : null,
    code ? el("small", { className: "cb-hint", text: t("pairingCodeHint") }) : null,
  ]);
}
`;
