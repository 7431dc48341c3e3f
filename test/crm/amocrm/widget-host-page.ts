/**
 * The amoCRM account page the widget browser suites load script.js into (reference/amocrm.md
 * 3.3): the host side amoCRM gives a widget, in plain HTML and jQuery.
 */

export const WIDGET_CODE = "chatbridge";

/** Reports CSP violations as console errors, before any page script runs (as in the Bitrix24 browser suite). */
export const CSP_REPORTER = `document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " in " + e.documentURI);
});`;

export interface HostConfig {
  area: string;
  accountId: string;
  userId: number;
  subdomain: string;
  scriptUrl: string;
  i18nUrl: string;
  tokenUrl: string;
}

/**
 * What an amoCRM account page gives a widget (reference/amocrm.md 3.3): its jQuery as the AMD
 * module 'jquery', the object built from script.js's constructor with the host methods the
 * widget calls (params / get_settings with widget_code, i18n(section) of the locale file,
 * system(), render_template for the card column, $authorizedAjax adding a fresh disposable
 * X-Auth-Token, 4.3), then render -> init -> bind_actions and, in the settings area,
 * settings($modal) with the widget's settings modal. script.js comes from the account's own
 * origin, as amoCRM serves uploaded widgets.
 */
export function hostPage(cfg: HostConfig): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>amoCRM</title><link rel="icon" href="data:,">
<style>
body{margin:0;font:14px/1.45 Arial,sans-serif;color:#313942;background:#e9ecef}
.modal{width:860px;margin:24px auto;background:#fff;border:1px solid #d4d5d8;box-shadow:0 2px 14px rgba(0,0,0,.18);padding:20px 28px}
.modal-title{font-size:20px;margin:0 0 12px}
.cb-card{border:1px solid #d4d5d8;padding:10px;margin:8px 0}
.cb-field{margin:6px 0}.cb-label{display:block;font-weight:bold}
.button-input{background:#4c8bf7;color:#fff;border:0;padding:6px 12px;margin:4px 4px 0 0}
#widgets_block{width:300px;margin:24px;background:#fff;padding:12px}
</style>
<script src="/vendor/jquery.min.js"></script>
<script>
(function () {
  var modules = { jquery: window.jQuery };
  window.define = function (deps, factory) {
    window.__widgetClass = factory.apply(null, deps.map(function (name) {
      if (!(name in modules)) throw new Error("define: no module " + name);
      return modules[name];
    }));
  };
  window.define.amd = {};
})();
</script>
<script src="${cfg.scriptUrl}"></script>
</head><body>
<div class="modal widget-settings" id="widget_settings__${WIDGET_CODE}"><h1 class="modal-title">chatbridge</h1></div>
<div id="widgets_block"></div>
<script>
(function ($) {
  var HOST = ${JSON.stringify(cfg)};
  $.getJSON(HOST.i18nUrl).done(function (lang) {
    var params = { widget_code: "${WIDGET_CODE}", widget_active: "Y", status: "installed" };
    var Widget = window.__widgetClass;
    Widget.prototype = {
      params: params,
      get_settings: function () { return params; },
      i18n: function (key) { return lang[key]; },
      system: function () { return { area: HOST.area, amouser_id: String(HOST.userId), subdomain: HOST.subdomain, domain: location.host }; },
      render_template: function (opts) {
        var $block = $('<div class="card-widgets__widget"/>')
          .append($('<div class="card-widgets__widget__caption"/>').addClass(opts.caption && opts.caption.class_name || "").text("chatbridge"))
          .append($('<div class="card-widgets__widget__body"/>').html((opts.body || "") + (opts.render || "")));
        $("#widgets_block").append($block);
      },
      $authorizedAjax: function (options) {
        return $.ajax({ url: HOST.tokenUrl, dataType: "json", cache: false }).then(function (answer) {
          return $.ajax($.extend({}, options, { headers: $.extend({}, options.headers, { "X-Auth-Token": answer.token }) }));
        });
      }
    };
    var widget = new Widget();
    window.amoWidget = widget;
    if (widget.callbacks.render() !== true) throw new Error("render did not return true");
    widget.callbacks.init();
    widget.callbacks.bind_actions();
    if (HOST.area === "settings") widget.callbacks.settings($("#widget_settings__${WIDGET_CODE}"));
    document.documentElement.setAttribute("data-widget", "ready");
  });
})(jQuery);
</script>
</body></html>`;
}

