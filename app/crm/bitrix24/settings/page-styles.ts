/** Styles of the settings and error pages: one inline block under the CSP nonce, no external files. */
export const SETTINGS_PAGE_STYLES = `
:root { color-scheme: light; --fg: #1f2933; --muted: #5f6b7a; --line: #d9dee4; --accent: #2067b0; --ok: #1e7b34; --err: #b42318; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0; padding: 16px 20px 32px; max-width: 960px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
.cb-muted, .cb-hint { color: var(--muted); }
.cb-hint { display: block; margin-top: 2px; }
.cb-card { border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; margin: 0 0 12px; display: grid; gap: 8px; }
.cb-card-bound { border-color: var(--ok); }
.cb-card-head { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: baseline; }
.cb-badge { border-radius: 10px; padding: 0 8px; background: #eef1f4; font-size: 12px; }
.cb-badge-ok, .cb-state-connected { background: #e3f4e6; color: var(--ok); }
.cb-state-banned, .cb-state-unauthorized, .cb-state-qr_required { background: #fdecea; color: var(--err); }
.cb-field { display: grid; gap: 2px; margin: 0 0 8px; }
.cb-label { font-weight: 600; }
.cb-required { color: var(--err); font-weight: 400; }
.cb-inline { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
.cb-actions { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; }
input[type=text], input[type=tel], input[type=url], input[type=password], input[type=number], select { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 4px; min-width: 0; }
.cb-url { flex: 1 1 320px; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.cb-phone { width: 180px; }
.cb-button { font: inherit; padding: 5px 12px; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
.cb-button:disabled { opacity: .6; cursor: progress; }
.cb-secondary { background: #fff; color: var(--accent); }
.cb-danger { background: #fff; color: var(--err); border-color: var(--err); }
.cb-qr { display: grid; gap: 6px; justify-items: start; }
.cb-qr img { border: 1px solid var(--line); image-rendering: pixelated; }
.cb-pairing-code { display: block; font: 600 28px/1.3 ui-monospace, Menlo, Consolas, monospace; letter-spacing: .12em; }
.cb-status { margin: 0; padding: 6px 10px; border-radius: 4px; }
.cb-status-info { background: #eef1f4; }
.cb-status-ok { background: #e3f4e6; color: var(--ok); }
.cb-status-error { background: #fdecea; color: var(--err); }
.cb-edit { border-top: 1px solid var(--line); padding-top: 8px; }
.cb-field-error { color: var(--err); }
input[aria-invalid=true] { border-color: var(--err); }
.cb-messages { list-style: none; margin: 8px 0; padding: 0; }
.cb-message { border-bottom: 1px solid var(--line); padding: 6px 0; display: grid; gap: 4px; }
.cb-message-head { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: baseline; }
.cb-message-text { white-space: pre-wrap; overflow-wrap: anywhere; }
.cb-msg-failed { background: #fdecea; color: var(--err); }
.cb-msg-delivered, .cb-msg-read { background: #e3f4e6; color: var(--ok); }
.cb-group { display: grid; gap: 2px; }
.cb-edit-failover { display: grid; gap: 4px; margin: 0 0 8px; }
.cb-fallbacks { margin: 4px 0; padding-left: 20px; }
.cb-fallback { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; margin: 2px 0; }
.cb-small { padding: 1px 8px; font-size: 12px; }
.cb-events { list-style: none; margin: 4px 0; padding: 0; }
.cb-event { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: baseline; border-bottom: 1px solid var(--line); padding: 4px 0; }
.cb-event-failover .cb-badge, .cb-event-cap_reached .cb-badge { background: #fdecea; color: var(--err); }
.cb-event-recovered .cb-badge { background: #e3f4e6; color: var(--ok); }
.cb-error-page { max-width: 640px; }
.cb-error-page code { background: #eef1f4; padding: 0 4px; border-radius: 3px; }
`;
