/**
 * The docs page's only script. The settings page links to `/docs#url=<channel base URL>`: the
 * token is secret, so it travels in the fragment, which never reaches a server or a log, and
 * this script puts it into the examples in the browser. It accepts only a webhook URL of this
 * deployment, writes text nodes only (never markup), and carries the fragment over to the
 * language links so switching language keeps the channel's URL.
 *
 * Kept as a string (ES5, no helpers) rather than a serialised TS function, so no bundler's
 * injected helper can end up in the page; tests evaluate this same string.
 */
export const FILL_URL_SCRIPT = `function (win, doc, publicUrl, placeholder) {
  var match = /^#url=([^&]*)/.exec(win.location.hash);
  if (!match) return;
  var url;
  try { url = decodeURIComponent(match[1]); } catch (e) { return; }
  var base = publicUrl.replace(/\\/+$/, "");
  var channel = url.slice(0, base.length) === base ? url.slice(base.length) : "";
  if (!/^\\/rest\\/webhook\\/(wa|tg)\\/[A-Za-z0-9_-]{16,128}$/.test(channel)) return;
  var nodes = doc.querySelectorAll("pre, code");
  for (var i = 0; i < nodes.length; i++) {
    var children = nodes[i].childNodes;
    for (var j = 0; j < children.length; j++) {
      var text = children[j];
      if (text.nodeType === 3 && text.nodeValue.indexOf(placeholder) !== -1) {
        text.nodeValue = text.nodeValue.split(placeholder).join(channel);
      }
    }
  }
  var links = doc.querySelectorAll("a[data-lang]");
  for (var k = 0; k < links.length; k++) links[k].setAttribute("href", links[k].getAttribute("href") + win.location.hash);
}`;

/** What the examples show where the channel's path goes; the script replaces exactly this. */
export const CHANNEL_PLACEHOLDER = "/rest/webhook/wa/<token>";

/** The inline script element: JSON-encoded arguments, with `<` escaped so no value can close the element. */
export function fillUrlScriptTag(publicUrl: string, nonce: string): string {
  const args = [JSON.stringify(publicUrl.replace(/\/+$/, "")), JSON.stringify(CHANNEL_PLACEHOLDER)].map((a) => a.replace(/</g, "\\u003c"));
  return `<script nonce="${nonce}">(${FILL_URL_SCRIPT})(window, document, ${args.join(", ")});</script>`;
}
