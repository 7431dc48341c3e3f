/**
 * What the official channels add to a channel card: who the channel is (a Telegram bot's
 * @username and t.me link, a WhatsApp Cloud API number with its name and quality rating, from
 * the channel's state detail) and, for providers with message templates, the list of templates
 * with their status and a button that reads them again from the provider. Browser JavaScript in
 * a string, run in the page's scope after PAGE_CHANNELS_SCRIPT.
 */
export const PAGE_TEMPLATES_SCRIPT = String.raw`
const templatesState = { lists: new Map(), open: new Set() };

function identityRow(channel) {
  const d = channel.state_detail || {};
  const parts = [];
  if (typeof d.username === "string") parts.push(d.username);
  if (typeof d.display_phone_number === "string") parts.push(d.display_phone_number);
  if (typeof d.verified_name === "string") parts.push(d.verified_name);
  if (typeof d.quality_rating === "string") parts.push(t("quality") + ": " + d.quality_rating);
  const link = typeof d.link === "string" && /^https:\/\/t\.me\/[A-Za-z0-9_]+$/.test(d.link) ? d.link : null;
  if (parts.length === 0 && !link) return null;
  return el("div", { className: "cb-field" }, [
    el("span", { className: "cb-muted", text: parts.join(" · ") }),
    link ? el("a", { href: link, target: "_blank", rel: "noopener", text: " " + link }) : null,
  ]);
}

async function loadTemplates(channel, refresh) {
  const answer = refresh ? await api("POST", channelPath(channel, "/templates/sync")) : await api("GET", channelPath(channel, "/templates"));
  templatesState.lists.set(channel.id, answer.templates);
  templatesState.open.add(channel.id);
  renderChannels();
  return t("templatesLoaded", { count: String(answer.templates.length) });
}

function templateItem(tpl) {
  const approved = tpl.status === "APPROVED";
  return el("li", { className: "cb-template" }, [
    el("strong", { text: tpl.name }),
    el("span", { className: "cb-muted", text: " " + tpl.language + " · " + tpl.category + " · " }),
    el("span", { className: "cb-badge " + (approved ? "cb-badge-ok" : "cb-state-unknown"), text: tpl.status }),
    el("div", { className: "cb-hint", text: tpl.body }),
    el("small", { className: "cb-hint", text: t("templateValues", { count: String(tpl.body_params) }) }),
  ]);
}

function templatesBlock(channel) {
  const provider = providerOf(channel.provider);
  if (!provider || !provider.capabilities.templates) return null;
  const list = templatesState.lists.get(channel.id);
  const open = templatesState.open.has(channel.id);
  const controls = el("div", { className: "cb-inline" }, [
    button(open ? t("hideTemplates") : t("showTemplates"), (b) => {
      if (open) {
        templatesState.open.delete(channel.id);
        renderChannels();
        return;
      }
      runAction(channel.id, b, () => loadTemplates(channel, false));
    }, "cb-secondary"),
    open ? button(t("refreshTemplates"), (b) => runAction(channel.id, b, () => loadTemplates(channel, true)), "cb-secondary") : null,
  ]);
  if (!open || !list) return el("div", { className: "cb-field" }, [controls]);
  return el("div", { className: "cb-field" }, [
    el("label", { className: "cb-label", text: t("templates") }),
    list.length > 0 ? el("ul", { className: "cb-templates" }, list.map(templateItem)) : el("p", { className: "cb-empty", text: t("noTemplates") }),
    el("small", { className: "cb-hint", text: t("templatesHint") }),
    controls,
  ]);
}
`;
