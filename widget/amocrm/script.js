/*
 * chatbridge amoCRM widget (reference/amocrm.md 3.3): plain ES5 AMD module, no build step.
 * BACKEND_URL is written by 'npm run widget:build' (scripts/build-widget.ts) from --url / PUBLIC_URL.
 * The widget never holds a secret: it proves the user with $authorizedAjax() (X-Auth-Token, 4.3)
 * to POST /api/session and uses the bearer token it gets for the admin API. Every text from the
 * server is put into the page with .text() / .val() / .attr(), never as HTML.
 */
define(['jquery'], function ($) {
  'use strict';

  var BACKEND_URL = '__CHATBRIDGE_PUBLIC_URL__';
  var QR_REFRESH_MS = 5000;
  var SECRET_FIELD = /token|password|secret|key/i;
  var QR_IMAGE = /^data:image\/(png|jpeg|gif|svg\+xml|webp);/;

  /*
   * One session per page, shared by every instance amoCRM makes of the widget (areas, cards):
   * each new session costs the backend a call to amoCRM. A refusal (not an admin) is kept too,
   * so a manager opening cards all day does not ask again and again.
   */
  var session = null;
  var sessionRefusal = null;
  /* ids for the form's label/control pairs, unique across every instance on the page */
  var fieldSerial = 0;

  return function () {
    var self = this;
    var qrTimers = {};
    var state = { channels: [], providers: [], qr: {}, templates: {}, pairing: {}, pairingPhones: {}, groupDrafts: {}, events: {}, $root: null };

    function t(key, vars) {
      var texts = self.i18n('panel') || {};
      var text = Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : key;
      return String(text).replace(/\{(\w+)\}/g, function (whole, name) {
        return vars && Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole;
      });
    }

    function failure(xhr, answer) {
      var body = answer || (xhr && xhr.responseJSON) || null;
      if (xhr && xhr.status === 0) return { code: 'network', message: t('networkError') };
      if (xhr && xhr.status === 403) return { code: 'forbidden', message: body && body.message ? String(body.message) : t('forbidden') };
      if (body && typeof body.message === 'string') return { code: String(body.error || 'error'), message: body.message, field: typeof body.field === 'string' ? body.field : null };
      return { code: 'http_' + (xhr ? xhr.status : 0), message: t('unexpectedAnswer', { status: xhr ? xhr.status : 0 }) };
    }

    /* POST /api/session with the widget's disposable token: an admin of this account gets a bearer token. */
    function openSession() {
      var done = $.Deferred();
      if (sessionRefusal) return done.reject(sessionRefusal).promise();
      self.$authorizedAjax({ url: BACKEND_URL + '/api/session', method: 'POST', dataType: 'json' })
        .done(function (answer) {
          if (answer && answer.ok === true && answer.token) {
            session = { token: answer.token, expiresAt: Date.parse(answer.expires_at) || 0 };
            done.resolve(session);
          } else {
            done.reject(failure(null, answer));
          }
        })
        .fail(function (xhr) {
          var err = failure(xhr);
          if (err.code === 'forbidden') sessionRefusal = err;
          done.reject(err);
        });
      return done.promise();
    }

    function currentSession() {
      if (session && session.expiresAt - 60000 > Date.now()) return $.Deferred().resolve(session).promise();
      return openSession();
    }

    /* One admin API call; an expired session is opened again once. */
    function api(method, path, body, retried) {
      var done = $.Deferred();
      currentSession().done(function (s) {
        var options = { url: BACKEND_URL + '/api' + path, method: method, dataType: 'json', headers: { Authorization: 'Bearer ' + s.token } };
        if (body !== undefined) {
          options.contentType = 'application/json';
          options.data = JSON.stringify(body);
        }
        $.ajax(options)
          .done(function (answer) {
            if (answer && answer.ok === true) done.resolve(answer);
            else done.reject(failure(null, answer));
          })
          .fail(function (xhr) {
            if (xhr.status === 401 && !retried) {
              session = null;
              api(method, path, body, true).then(done.resolve, done.reject);
              return;
            }
            done.reject(failure(xhr));
          });
      }).fail(done.reject);
      return done.promise();
    }

    function newRequestId() {
      return Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 12);
    }

    function el(tag, className, text) {
      var $node = $('<' + tag + '/>');
      if (className) $node.addClass(className);
      if (text !== undefined && text !== null) $node.text(String(text));
      return $node;
    }

    function button(label, onClick) {
      return el('button', 'button-input cb-button', label).attr('type', 'button').on('click', function () { onClick($(this)); });
    }

    function status($slot, kind, text) {
      $slot.text(text || '').attr('data-kind', kind).toggle(!!text);
    }

    function note(channelId, kind, text) {
      if (state.$root) status(state.$root.find('[data-note="' + channelId + '"]'), kind, text);
    }

    function runAction(channelId, $control, action) {
      $control.prop('disabled', true);
      note(channelId, 'info', t('working'));
      action()
        .done(function (message) { note(channelId, 'ok', message || t('done')); })
        .fail(function (err) { note(channelId, 'error', err && err.message ? err.message : t('unexpectedAnswer', { status: 0 })); })
        .always(function () { $control.prop('disabled', false); });
    }

    function providerOf(name) {
      for (var i = 0; i < state.providers.length; i++) if (state.providers[i].name === name) return state.providers[i];
      return null;
    }

    function channelPath(channel, rest) {
      return '/channels/' + encodeURIComponent(channel.id) + (rest || '');
    }

    /* --- the provider's credentials JSON Schema as form fields (same rules as the Bitrix24 page) --- */

    function humanize(name) {
      var words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
      return words.charAt(0).toUpperCase() + words.slice(1);
    }

    function fieldKindOf(prop) {
      if (!prop || typeof prop !== 'object') return 'string';
      if (Array.isArray(prop['enum']) && prop['enum'].length > 0) return 'enum';
      if (prop.type === 'string' || prop.type === 'integer' || prop.type === 'number' || prop.type === 'boolean') return prop.type;
      if (Array.isArray(prop.anyOf)) {
        var kinds = $.map(prop.anyOf, fieldKindOf);
        return $.inArray('string', kinds) >= 0 ? 'string' : kinds[0] || 'string';
      }
      return 'string';
    }

    function schemaFields(schema) {
      var props = schema && schema.properties && typeof schema.properties === 'object' ? schema.properties : {};
      var required = schema && Array.isArray(schema.required) ? schema.required : [];
      return $.map(Object.keys(props), function (name) {
        var prop = props[name] && typeof props[name] === 'object' ? props[name] : {};
        var kind = fieldKindOf(prop);
        return {
          name: name,
          label: typeof prop.title === 'string' && prop.title ? prop.title : humanize(name),
          hint: typeof prop.description === 'string' ? prop.description : '',
          kind: kind,
          required: $.inArray(name, required) >= 0,
          secret: kind === 'string' && SECRET_FIELD.test(name),
          options: kind === 'enum' ? prop['enum'].slice() : [],
          defaultValue: prop['default'] === undefined ? null : prop['default']
        };
      });
    }

    function credentialsFromForm(fields, $box) {
      var credentials = {};
      var missing = [];
      var invalid = [];
      $.each(fields, function (i, field) {
        var $control = $box.find('[data-field="' + field.name + '"]');
        if (field.kind === 'boolean') {
          credentials[field.name] = $control.prop('checked') === true;
          return;
        }
        var text = $.trim(String($control.val() || ''));
        if (text === '') {
          if (field.required) missing.push(field.label);
          return;
        }
        if (field.kind === 'integer' || field.kind === 'number') {
          var n = Number(text);
          if (!isFinite(n) || (field.kind === 'integer' && Math.floor(n) !== n)) invalid.push(field.label);
          else credentials[field.name] = n;
          return;
        }
        if (field.kind === 'enum') {
          var match = null;
          $.each(field.options, function (j, option) { if (String(option) === text) match = option; });
          if (match === null) invalid.push(field.label);
          else credentials[field.name] = match;
          return;
        }
        credentials[field.name] = text;
      });
      return { credentials: credentials, missing: missing, invalid: invalid };
    }

    function fieldControl(field) {
      var $control;
      if (field.kind === 'boolean') {
        $control = el('input').attr('type', 'checkbox').prop('checked', field.defaultValue === true);
      } else if (field.kind === 'enum') {
        $control = el('select');
        if (!field.required) $control.append(el('option', null, '—').attr('value', ''));
        $.each(field.options, function (i, option) {
          $control.append(el('option', null, option).attr('value', String(option)).prop('selected', option === field.defaultValue));
        });
      } else {
        var numeric = field.kind === 'integer' || field.kind === 'number';
        $control = el('input', 'text-input').attr({ type: numeric ? 'number' : field.secret ? 'password' : 'text', autocomplete: 'off' });
        if (field.defaultValue !== null) $control.val(String(field.defaultValue));
      }
      $control.attr('data-field', field.name);
      return labelled(field.label, $control, field.required, field.hint);
    }

    /* The caption names its control (for=id), so clicking it focuses the field and a screen reader reads it. */
    function labelled(label, $control, required, hint) {
      var $caption = el('label', 'cb-label', label);
      var $input = $control.is('input, select, textarea') ? $control : $control.find('input, select, textarea').first();
      if ($input.length) {
        if (!$input.attr('id')) $input.attr('id', 'chatbridge-field-' + (++fieldSerial));
        $caption.attr('for', $input.attr('id'));
      }
      if (required) $caption.append(el('span', 'cb-required', ' * ' + t('required')));
      return el('div', 'cb-field').append($caption, $control, hint ? el('small', 'cb-hint', hint) : null);
    }

    /* --- channels --- */

    function reloadChannels() {
      return api('GET', '/channels').done(function (answer) {
        state.channels = answer.channels || [];
        renderChannels();
      });
    }

    function stopQr(channelId) {
      clearTimeout(qrTimers[channelId]);
      delete qrTimers[channelId];
    }

    /* A shown QR code is fetched again every few seconds until the provider reports the number logged in. */
    function loadQr(channel) {
      return api('GET', channelPath(channel, '/qr')).then(function (answer) {
        stopQr(channel.id);
        if (typeof answer.qr === 'string' && QR_IMAGE.test(answer.qr)) {
          state.qr[channel.id] = answer.qr;
          qrTimers[channel.id] = setTimeout(function () {
            if (state.qr[channel.id]) loadQr(channel).fail(function (err) { note(channel.id, 'error', err.message); });
          }, QR_REFRESH_MS);
          renderChannels();
          return t('qrHint');
        }
        delete state.qr[channel.id];
        return reloadChannels().then(function () { return t('qrConnected'); });
      });
    }

    /* Pairing-code login: the code WhatsApp gives for the owner's number, or null once the number is logged in. */
    function loadPairingCode(channel, phone) {
      return api('POST', channelPath(channel, '/pairing-code'), { phone: phone }).then(function (answer) {
        if (typeof answer.code === 'string' && answer.code !== '') {
          state.pairing[channel.id] = answer.code;
          renderChannels();
          return t('pairingCodeHint');
        }
        delete state.pairing[channel.id];
        return reloadChannels().then(function () { return t('pairingConnected'); });
      });
    }

    /* Beside the QR, for providers that also log in by pairing code (WAHA, Evolution API) while not connected. */
    function pairingRow(channel, provider) {
      if (!provider || !provider.capabilities || !provider.capabilities.pairingLogin || channel.state === 'connected') return null;
      var $phone = el('input', 'text-input cb-phone').attr({ type: 'tel', placeholder: '79001234567', autocomplete: 'off', 'aria-label': t('pairingPhone') })
        .val(state.pairingPhones[channel.id] || '')
        .on('input', function () { state.pairingPhones[channel.id] = $phone.val(); });
      var $row = el('div', 'cb-field cb-pairing').attr('data-pairing', channel.id).append(
        el('strong', 'cb-label', t('pairingTitle')),
        el('div', 'cb-inline').append($phone, button(t('pairingGet'), function ($b) {
          runAction(channel.id, $b, function () { return loadPairingCode(channel, $phone.val()); });
        }))
      );
      var code = state.pairing[channel.id];
      if (code) {
        // amoCRM gives widgets no stylesheet of their own: the size is set on the element (CSSOM, not an inline attribute)
        $row.append(
          el('div', 'cb-pairing-code', code).css({ fontSize: '28px', fontFamily: 'monospace', fontWeight: 'bold', letterSpacing: '3px' }),
          el('small', 'cb-hint', t('pairingCodeHint'))
        );
      }
      return $row;
    }

    function copyText($input, channelId) {
      $input.trigger('select');
      var copied = false;
      try {
        copied = document.execCommand('copy');
      } catch (e) {
        copied = false;
      }
      if (!copied && navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText($input.val()).then(
          function () { note(channelId, 'ok', t('copied')); },
          function () { note(channelId, 'error', t('copyFailed')); }
        );
        return;
      }
      note(channelId, copied ? 'ok' : 'error', copied ? t('copied') : t('copyFailed'));
    }

    /*
     * The webhook API's docs in the admin's language (docsLang of the locale amoCRM picked) for
     * this channel's URL. The URL rides in the fragment, which the browser never sends, so the
     * secret token stays out of server logs; the docs page fills its examples in from it.
     */
    function docsLink(webhookUrl) {
      var lang = t('docsLang') === 'ru' ? 'ru' : 'en';
      return el('a', 'cb-docs', t('docs')).attr({
        href: BACKEND_URL + '/docs?lang=' + lang + '#url=' + encodeURIComponent(webhookUrl),
        target: '_blank',
        rel: 'noopener noreferrer'
      });
    }

    function webhookRow(channel) {
      if (!channel.webhook_url) return null;
      var $input = el('input', 'text-input cb-url').attr({ type: 'text', readonly: 'readonly' }).val(channel.webhook_url);
      return labelled(t('webhookUrl'), el('div', 'cb-inline').append(
        $input,
        button(t('copy'), function () { copyText($input, channel.id); }),
        button(t('regenerate'), function ($b) {
          if (!window.confirm(t('confirmRegenerate', { name: channel.name }))) return;
          runAction(channel.id, $b, function () {
            return api('POST', channelPath(channel, '/webhook-token')).then(function () {
              return reloadChannels().then(function () { return t('regenerated'); });
            });
          });
        }),
        docsLink(channel.webhook_url)
      ), false, '');
    }

    function testRow(channel) {
      var $phone = el('input', 'text-input cb-phone').attr({ type: 'tel', placeholder: '79001234567', autocomplete: 'off', 'aria-label': t('testPhone') });
      return el('div', 'cb-inline').append($phone, button(t('sendTest'), function ($b) {
        runAction(channel.id, $b, function () {
          return api('POST', channelPath(channel, '/test'), { phone: $phone.val(), request_id: newRequestId() }).then(function (answer) {
            return t('testQueued', { status: answer.status });
          });
        });
      }));
    }

    /* Who the channel is: a Telegram bot's @username and link, a Cloud API number with its name and quality. */
    function identityRow(channel) {
      var d = channel.state_detail || {};
      var parts = [];
      $.each(['username', 'display_phone_number', 'verified_name'], function (i, key) { if (typeof d[key] === 'string') parts.push(d[key]); });
      if (typeof d.quality_rating === 'string') parts.push(t('quality') + ': ' + d.quality_rating);
      var link = typeof d.link === 'string' && /^https:\/\/t\.me\/[A-Za-z0-9_]+$/.test(d.link) ? d.link : null;
      if (parts.length === 0 && !link) return null;
      var $row = el('div', 'cb-field').append(el('span', 'cb-muted', parts.join(' · ')));
      if (link) $row.append(' ', el('a', null, link).attr({ href: link, target: '_blank', rel: 'noopener' }));
      return $row;
    }

    function loadTemplates(channel, refresh) {
      var call = refresh ? api('POST', channelPath(channel, '/templates/sync')) : api('GET', channelPath(channel, '/templates'));
      return call.then(function (answer) {
        state.templates[channel.id] = answer.templates || [];
        renderChannels();
        return t('templatesLoaded', { count: state.templates[channel.id].length });
      });
    }

    /* WhatsApp Cloud API channels: the number's templates, their status and how many values each takes. */
    function templatesRow(channel, provider) {
      if (!provider || !provider.capabilities || !provider.capabilities.templates) return null;
      var $row = el('div', 'cb-field');
      var list = state.templates[channel.id];
      if (list) {
        var $ul = el('ul', 'cb-templates');
        $.each(list, function (i, tpl) {
          $ul.append(el('li', 'cb-template').append(
            el('strong', null, tpl.name),
            el('span', 'cb-muted', ' ' + tpl.language + ' · ' + tpl.category + ' · ' + tpl.status + ' · ' + t('templateValues', { count: tpl.body_params })),
            el('div', 'cb-hint', tpl.body)
          ));
        });
        $row.append(el('strong', null, t('templates')), list.length ? $ul : el('p', 'cb-empty', t('noTemplates')), el('small', 'cb-hint', t('templatesHint')));
      }
      return $row.append(button(list ? t('refreshTemplates') : t('showTemplates'), function ($b) {
        runAction(channel.id, $b, function () { return loadTemplates(channel, Boolean(list)); });
      }));
    }

    /* --- failover groups and daily caps (PATCH /api/channels/:id, GET …/events) --- */

    var MAX_FALLBACKS = 5;

    function channelName(channelId) {
      for (var i = 0; i < state.channels.length; i++) if (state.channels[i].id === channelId) return state.channels[i].name;
      return t('deletedChannel');
    }

    function formatTime(iso) {
      var date = new Date(iso);
      return isNaN(date.getTime()) ? String(iso) : date.toLocaleString(t('docsLang') === 'ru' ? 'ru' : 'en');
    }

    /* the portal's other channels of the same messenger: the ones the API accepts as fallbacks */
    function fallbackCandidates(channel) {
      return $.grep(state.channels, function (c) { return c.id !== channel.id && c.messenger === channel.messenger; });
    }

    /* "Today: 12 of 50 messages, 3 of 10 new chats (Europe/Moscow)"; a count without a cap stands alone */
    function usageText(channel) {
      var use = channel.usage_today || { messages: 0, new_chats: 0, time_zone: '' };
      function part(used, cap, withCap, without) { return cap === null ? t(without, { used: used }) : t(withCap, { used: used, cap: cap }); }
      return t('usageToday', {
        messages: part(use.messages, channel.daily_message_cap, 'usageMessages', 'usageMessagesNoCap'),
        chats: part(use.new_chats, channel.daily_new_chat_cap, 'usageChats', 'usageChatsNoCap'),
        zone: use.time_zone
      });
    }

    /* the fallback that sends for a blocked channel: its first one that can send itself */
    function sendingFallback(channel) {
      for (var i = 0; i < channel.group.fallbacks.length; i++) {
        for (var j = 0; j < state.channels.length; j++) {
          var c = state.channels[j];
          if (c.id === channel.group.fallbacks[i] && !c.group.blocked) return c;
        }
      }
      return null;
    }

    /* On the card: a warning while the channel cannot send, its group and, with caps, today's use. */
    function groupRow(channel) {
      var group = channel.group;
      if (!group) return null;
      var $row = el('div', 'cb-group').attr('data-group', channel.id);
      if (group.blocked) {
        var reason = t('blocked_' + group.blocked);
        var via = group.failover_since ? sendingFallback(channel) : null;
        $row.append(el('p', 'cb-status cb-blocked', via
          ? t('blockedVia', { reason: reason, via: via.name, since: formatTime(group.failover_since) })
          : t('blockedAlone', { reason: reason })).attr({ role: 'alert', 'data-kind': 'error' }));
      }
      if (group.fallbacks.length) $row.append(el('div', 'cb-hint', t('fallsBackTo', { names: $.map(group.fallbacks, channelName).join(', ') })));
      if (group.fallback_for.length) $row.append(el('div', 'cb-hint', t('fallbackFor', { names: $.map(group.fallback_for, channelName).join(', ') })));
      if (channel.daily_message_cap !== null || channel.daily_new_chat_cap !== null) $row.append(el('div', 'cb-hint cb-usage', usageText(channel)));
      return $row.children().length ? $row : null;
    }

    function capText(cap) {
      return cap === null || cap === undefined ? '' : String(cap);
    }

    /* a cap box: null when empty, undefined when not a whole number from 1 */
    function capOf(text) {
      var trimmed = $.trim(String(text));
      if (trimmed === '') return null;
      return /^[0-9]+$/.test(trimmed) && Number(trimmed) >= 1 ? Number(trimmed) : undefined;
    }

    function groupDraft(channel) {
      var candidates = $.map(fallbackCandidates(channel), function (c) { return c.id; });
      return {
        fallbacks: $.grep(channel.group.fallbacks, function (id) { return $.inArray(id, candidates) >= 0; }),
        messageCap: capText(channel.daily_message_cap),
        newChatCap: capText(channel.daily_new_chat_cap),
        capOverflow: channel.cap_overflow,
        errors: {}
      };
    }

    /* The PATCH body: only what changed; a cap that is no number is marked and leaves it null. */
    function groupChanges(channel, draft) {
      var messageCap = capOf(draft.messageCap);
      var newChatCap = capOf(draft.newChatCap);
      draft.errors = {};
      if (messageCap === undefined) draft.errors.dailyMessageCap = t('capInvalid');
      if (newChatCap === undefined) draft.errors.dailyNewChatCap = t('capInvalid');
      if (messageCap === undefined || newChatCap === undefined) return null;
      var changes = {};
      if (draft.fallbacks.join(',') !== channel.group.fallbacks.join(',')) changes.fallbacks = draft.fallbacks.slice();
      if (messageCap !== channel.daily_message_cap) changes.dailyMessageCap = messageCap;
      if (newChatCap !== channel.daily_new_chat_cap) changes.dailyNewChatCap = newChatCap;
      if (draft.capOverflow !== channel.cap_overflow) changes.capOverflow = draft.capOverflow;
      return changes;
    }

    function fieldError(draft, field) {
      return draft.errors[field] ? el('small', 'cb-field-error', draft.errors[field]).attr({ role: 'alert', 'data-field-error': field }) : null;
    }

    function fallbackList(channel, draft) {
      var $list = el('ol', 'cb-fallbacks');
      $.each(draft.fallbacks, function (i, id) {
        var $item = el('li', 'cb-fallback').attr('data-fallback', id).append(el('span', null, t('fallbackNth', { n: i + 1 }) + ': ' + channelName(id)));
        if (i > 0) $item.append(button(t('moveUp'), function () { draft.fallbacks.splice(i - 1, 0, draft.fallbacks.splice(i, 1)[0]); renderChannels(); }));
        if (i < draft.fallbacks.length - 1) $item.append(button(t('moveDown'), function () { draft.fallbacks.splice(i + 1, 0, draft.fallbacks.splice(i, 1)[0]); renderChannels(); }));
        $item.append(button(t('removeFallback'), function () { draft.fallbacks.splice(i, 1); renderChannels(); }));
        $list.append($item);
      });
      var candidates = fallbackCandidates(channel);
      var free = $.grep(candidates, function (c) { return $.inArray(c.id, draft.fallbacks) < 0; });
      var $add = null;
      if (draft.fallbacks.length < MAX_FALLBACKS && free.length) {
        $add = el('select', 'cb-fallback-add').attr('aria-label', t('addFallback')).append(el('option', null, t('addFallback')).attr('value', ''));
        $.each(free, function (i, c) { $add.append(el('option', null, c.name).attr('value', c.id)); });
        $add.on('change', function () {
          if (!$add.val()) return;
          draft.fallbacks.push($add.val());
          renderChannels();
        });
      }
      return el('div', 'cb-field').append(
        el('strong', 'cb-label', t('fallbacks')),
        draft.fallbacks.length ? $list : el('small', 'cb-hint', t('noFallbacks')),
        $add,
        candidates.length ? null : el('small', 'cb-hint', t('noFallbackCandidates', { messenger: channel.messenger })),
        el('small', 'cb-hint', t('fallbacksHint')),
        fieldError(draft, 'fallbacks')
      );
    }

    function capInput(draft, key, field, label) {
      var $input = el('input', 'text-input cb-cap').attr({ type: 'text', inputmode: 'numeric', maxlength: 7, autocomplete: 'off', 'data-cap': field })
        .val(draft[key]).on('input', function () { draft[key] = $input.val(); });
      if (draft.errors[field]) $input.attr('aria-invalid', 'true');
      return labelled(label, $input, false, '').append(fieldError(draft, field));
    }

    function saveGroup(channel, draft, $b) {
      var changes = groupChanges(channel, draft);
      if (changes === null || $.isEmptyObject(changes)) {
        if (changes !== null) delete state.groupDrafts[channel.id];
        renderChannels();
        return;
      }
      runAction(channel.id, $b, function () {
        return api('PATCH', channelPath(channel), changes).then(function (answer) {
          delete state.groupDrafts[channel.id];
          return reloadChannels().then(function () { return t('groupSaved', { name: answer.channel.name }); });
        }, function (err) {
          if (!err || !err.field) return $.Deferred().reject(err).promise();
          // the API's reason goes beside the field it names; the card's note points there
          draft.errors[err.field] = err.message;
          renderChannels();
          return $.Deferred().reject({ code: err.code, message: t('fixFields') }).promise();
        });
      });
    }

    /* The editor: fallback channels in order, the caps with why a new number starts low, and what a send over them does. */
    function groupEditor(channel) {
      var draft = state.groupDrafts[channel.id];
      if (!draft) return null;
      var $overflow = el('select', 'cb-cap-overflow');
      $.each(['wait', 'fallback'], function (i, v) { $overflow.append(el('option', null, t('capOverflow_' + v)).attr('value', v)); });
      $overflow.val(draft.capOverflow).on('change', function () { draft.capOverflow = $overflow.val(); });
      return el('div', 'cb-group-edit').attr('data-group-edit', channel.id).append(
        fallbackList(channel, draft),
        el('strong', 'cb-label', t('dailyCaps')),
        el('small', 'cb-hint', t('dailyCapsHint')),
        capInput(draft, 'messageCap', 'dailyMessageCap', t('dailyMessageCap')),
        capInput(draft, 'newChatCap', 'dailyNewChatCap', t('dailyNewChatCap')),
        labelled(t('capOverflow'), $overflow, false, '').append(fieldError(draft, 'capOverflow')),
        el('small', 'cb-hint cb-usage', usageText(channel)),
        el('div', 'cb-actions').append(
          button(t('saveGroup'), function ($b) { saveGroup(channel, draft, $b); }),
          button(t('cancel'), function () { delete state.groupDrafts[channel.id]; renderChannels(); })
        )
      );
    }

    function groupToggle(channel) {
      if (state.groupDrafts[channel.id]) return null;
      return button(t('editGroup'), function () {
        state.groupDrafts[channel.id] = groupDraft(channel);
        renderChannels();
      });
    }

    function loadEvents(channel) {
      return api('GET', channelPath(channel, '/events?limit=50')).then(function (answer) {
        state.events[channel.id] = answer.events || [];
        renderChannels();
        return t('eventsLoaded', { count: state.events[channel.id].length });
      });
    }

    /* The channel's failovers, recoveries and caps reached, newest first, loaded on demand. */
    function eventsRow(channel) {
      var list = state.events[channel.id];
      var $row = el('div', 'cb-field cb-events-row').attr('data-events', channel.id);
      if (list) {
        var $ul = el('ul', 'cb-events');
        $.each(list, function (i, e) {
          $ul.append(el('li', 'cb-event cb-event-' + String(e.kind).replace(/[^a-z_]/g, '')).append(
            el('span', 'cb-muted', formatTime(e.at)), ' ',
            el('strong', 'cb-event-kind', t('event_' + e.kind)), ' ',
            el('span', null, e.text)
          ));
        });
        $row.append(el('strong', 'cb-label', t('events')), list.length ? $ul : el('small', 'cb-hint', t('noEvents')));
      }
      $row.append(button(list ? t('refreshEvents') : t('showEvents'), function ($b) {
        runAction(channel.id, $b, function () { return loadEvents(channel); });
      }));
      if (list) $row.append(button(t('hideEvents'), function () { delete state.events[channel.id]; renderChannels(); }));
      return $row;
    }

    function channelCard(channel) {
      var provider = providerOf(channel.provider);
      var $actions = el('div', 'cb-actions').append(button(t('bind'), function ($b) {
        runAction(channel.id, $b, function () {
          return api('POST', channelPath(channel, '/bind'), {}).then(function () { return t('bound'); });
        });
      }));
      if (provider && provider.capabilities && provider.capabilities.qrLogin) {
        $actions.append(button(t('showQr'), function ($b) { runAction(channel.id, $b, function () { return loadQr(channel); }); }));
      }
      var $card = el('div', 'cb-card').append(
        el('div', 'cb-card-head').append(
          el('strong', null, channel.name),
          el('span', 'cb-muted', ' ' + (provider ? provider.title : channel.provider) + ' · ' + channel.messenger + ' · '),
          el('span', 'cb-state cb-state-' + String(channel.state).replace(/[^a-z_]/g, ''), t('state') + ': ' + t('state_' + channel.state))
        ),
        identityRow(channel),
        groupRow(channel),
        webhookRow(channel),
        templatesRow(channel, provider)
      );
      if (state.qr[channel.id]) {
        $card.append(el('div', 'cb-qr').append(el('img').attr({ src: state.qr[channel.id], width: 240, height: 240, alt: 'QR' }), el('small', 'cb-hint', t('qrHint'))));
      }
      $card.append(pairingRow(channel, provider), groupEditor(channel), eventsRow(channel));
      $actions.append(groupToggle(channel));
      return $card.append(testRow(channel), $actions, el('p', 'cb-status').attr({ 'data-note': channel.id, role: 'status' }).hide());
    }

    function renderChannels() {
      if (!state.$root) return;
      var $list = state.$root.find('.cb-channels').empty();
      if (state.channels.length === 0) $list.append(el('p', 'cb-empty', t('noChannels')));
      $.each(state.channels, function (i, channel) { $list.append(channelCard(channel)); });
    }

    function renderAddForm() {
      var $form = state.$root.find('.cb-add').empty();
      var $slot = el('p', 'cb-status').attr('role', 'status').hide();
      var $provider = el('select', 'cb-provider').append(el('option', null, t('chooseProvider')).attr('value', ''));
      $.each(state.providers, function (i, p) { $provider.append(el('option', null, p.title).attr('value', p.name)); });
      var $name = el('input', 'text-input cb-name').attr({ type: 'text', maxlength: 100, autocomplete: 'off' });
      var $fields = el('div', 'cb-fields');
      var fields = [];
      $provider.on('change', function () {
        var provider = providerOf($provider.val());
        fields = provider ? schemaFields(provider.credentials) : [];
        $fields.empty().append($.map(fields, fieldControl));
        status($slot, 'info', '');
      });
      var $submit = button(t('addChannel'), function () {
        var result = credentialsFromForm(fields, $fields);
        var missing = [];
        if (!$provider.val()) missing.push(t('provider'));
        if (!$.trim($name.val())) missing.push(t('channelName'));
        missing = missing.concat(result.missing);
        if (missing.length > 0) return status($slot, 'error', t('missingFields', { fields: missing.join(', ') }));
        if (result.invalid.length > 0) return status($slot, 'error', t('invalidFields', { fields: result.invalid.join(', ') }));
        $submit.prop('disabled', true);
        status($slot, 'info', t('working'));
        api('POST', '/channels', { provider: $provider.val(), name: $.trim($name.val()), credentials: result.credentials })
          .done(function (answer) {
            reloadChannels().always(function () {
              renderAddForm();
              note(answer.channel.id, answer.warning ? 'error' : 'ok', answer.warning || t('created', { name: answer.channel.name }));
            });
          })
          .fail(function (err) { status($slot, 'error', err.message); })
          .always(function () { $submit.prop('disabled', false); });
      });
      $form.append(labelled(t('provider'), $provider, true, ''), labelled(t('channelName'), $name, true, ''), $fields, el('div', 'cb-actions').append($submit), $slot);
    }

    /* --- the account's phone region (GET/PATCH /api/portal) --- */

    /* the countries of issue 16's table; any other by its two-letter ISO code, which the API checks */
    var REGION_CHOICES = ['RU', 'BY', 'KZ', 'UZ', 'UA', 'GE', 'AM', 'AZ', 'KG', 'DE', 'GB', 'US', 'BR', 'MX', 'AR', 'IN', 'TR'];
    var REGION_OTHER = 'other';
    /* the zones of those countries' capitals (core/portal-time-zone.ts, what a portal's zone defaults to), and UTC */
    var TIME_ZONE_CHOICES = ['Europe/Moscow', 'Europe/Minsk', 'Asia/Almaty', 'Asia/Tashkent', 'Europe/Kyiv', 'Asia/Tbilisi', 'Asia/Yerevan', 'Asia/Baku',
      'Asia/Bishkek', 'Europe/Berlin', 'Europe/London', 'America/New_York', 'America/Sao_Paulo', 'America/Mexico_City', 'America/Argentina/Buenos_Aires',
      'Asia/Kolkata', 'Europe/Istanbul', 'UTC'];

    /* the country's name in the admin's language where the browser knows it (Intl.DisplayNames), else the code */
    function regionName(code) {
      try {
        var name = new Intl.DisplayNames([t('docsLang') === 'ru' ? 'ru' : 'en'], { type: 'region' }).of(code);
        return name && name !== code ? name + ' (' + code + ')' : code;
      } catch (e) {
        return code;
      }
    }

    /* The time zone the daily caps count days in: a capital's zone, UTC, or another IANA name the API checks. */
    function timeZoneBox(portal, savedNote) {
      var current = portal.time_zone;
      var known = $.inArray(current, TIME_ZONE_CHOICES) >= 0;
      var $select = el('select', 'cb-time-zone-select');
      $.each(TIME_ZONE_CHOICES, function (i, zone) { $select.append(el('option', null, zone).attr('value', zone)); });
      $select.append(el('option', null, t('timeZoneOther')).attr('value', REGION_OTHER));
      $select.val(known ? current : REGION_OTHER);
      var $other = el('input', 'text-input cb-time-zone-other').attr({ type: 'text', maxlength: 64, autocomplete: 'off', placeholder: 'Europe/Paris', 'aria-label': t('timeZoneOtherLabel') })
        .val(known ? '' : current).toggle(!known);
      $select.on('change', function () { $other.toggle($select.val() === REGION_OTHER); });
      var $slot = el('p', 'cb-status cb-time-zone-status').attr('role', 'status').hide();
      var $save = button(t('saveRegion'), function () {
        var timeZone = $select.val() === REGION_OTHER ? $.trim(String($other.val() || '')) : $select.val();
        if (!timeZone) return status($slot, 'error', t('timeZoneInvalid'));
        $save.prop('disabled', true);
        status($slot, 'info', t('working'));
        api('PATCH', '/portal', { timeZone: timeZone })
          .done(function (answer) { renderRegion(answer.portal, null, t('timeZoneSaved', { zone: answer.portal.time_zone })); })
          .fail(function (err) {
            status($slot, 'error', err.message);
            $save.prop('disabled', false);
          });
      });
      var $box = el('div', 'cb-time-zone').append(
        labelled(t('timeZone'), $select, false, ''),
        el('div', 'cb-inline').append($other, $save),
        el('small', 'cb-hint', t('timeZoneHint')),
        portal.time_zone_is_default ? el('small', 'cb-hint cb-time-zone-default', t('timeZoneDefault')) : null,
        $slot
      );
      if (savedNote) status($slot, 'ok', savedNote);
      return $box;
    }

    function renderRegion(portal, savedNote, zoneNote) {
      if (!state.$root) return;
      var current = portal.region;
      var known = $.inArray(current, REGION_CHOICES) >= 0;
      var $select = el('select', 'cb-region-select');
      $.each(REGION_CHOICES, function (i, code) { $select.append(el('option', null, regionName(code)).attr('value', code)); });
      $select.append(el('option', null, t('regionOther')).attr('value', REGION_OTHER));
      $select.val(known ? current : REGION_OTHER);
      var $other = el('input', 'text-input cb-region-other').attr({ type: 'text', maxlength: 2, autocomplete: 'off', placeholder: 'PL', 'aria-label': t('regionOtherLabel') })
        .val(known ? '' : current).toggle(!known);
      $select.on('change', function () { $other.toggle($select.val() === REGION_OTHER); });
      var $slot = el('p', 'cb-status cb-region-status').attr('role', 'status').hide();
      var $save = button(t('saveRegion'), function () {
        var region = $select.val() === REGION_OTHER ? $.trim(String($other.val() || '')).toUpperCase() : $select.val();
        if (!/^[A-Z]{2}$/.test(region)) return status($slot, 'error', t('regionInvalid'));
        $save.prop('disabled', true);
        status($slot, 'info', t('working'));
        api('PATCH', '/portal', { region: region })
          .done(function (answer) { renderRegion(answer.portal, t('regionSaved', { country: regionName(answer.portal.region) })); })
          .fail(function (err) {
            status($slot, 'error', err.message);
            $save.prop('disabled', false);
          });
      });
      var $box = state.$root.find('.cb-region').empty().append(
        labelled(t('region'), $select, false, ''),
        el('div', 'cb-inline').append($other, $save),
        el('small', 'cb-hint', t('regionHint')),
        portal.region_is_default ? el('small', 'cb-hint cb-region-default', t('regionDefault')) : null,
        $slot
      );
      state.$root.find('.cb-time-zone').replaceWith(timeZoneBox(portal, zoneNote));
      if (savedNote) status($box.find('.cb-region-status'), 'ok', savedNote);
    }

    function loadRegion() {
      return api('GET', '/portal')
        .done(function (answer) { renderRegion(answer.portal); })
        .fail(function (err) {
          if (!state.$root) return;
          var $slot = el('p', 'cb-status').attr('role', 'status');
          state.$root.find('.cb-region').empty().append($slot);
          status($slot, 'error', t('regionFailed', { message: err.message }));
        });
    }

    /* The settings panel: channels with state, QR, webhook URL, test send, bind; the add form; the phone region. */
    function renderPanel($target) {
      state.$root = el('div', 'chatbridge-widget').append(
        el('h2', 'cb-title', t('title')),
        el('p', 'cb-status cb-page-status').attr('role', 'status'),
        el('div', 'cb-channels'),
        el('h3', 'cb-subtitle', t('addTitle')),
        el('div', 'cb-add'),
        el('h3', 'cb-subtitle', t('regionTitle')),
        el('div', 'cb-region'),
        el('div', 'cb-time-zone')
      );
      $target.append(state.$root);
      var $page = state.$root.find('.cb-page-status');
      status($page, 'info', t('loading'));
      api('GET', '/providers')
        .done(function (answer) {
          state.providers = answer.providers || [];
          renderAddForm();
          reloadChannels()
            .done(function () { status($page, 'info', ''); })
            .fail(function (err) { status($page, 'error', err.message); });
          // after the first call: the session it opened serves this one too
          loadRegion();
        })
        .fail(function (err) {
          status($page, 'error', err.code === 'forbidden' ? t('forbidden') : t('sessionFailed', { message: err.message }));
        });
    }

    /* The lead / contact card's right column: the account's channels and their state (admins; others see nothing). */
    function renderCard() {
      self.render_template({ caption: { class_name: 'chatbridge-caption' }, body: '', render: '<div class="chatbridge-card"></div>' });
      var $slot = $('.chatbridge-card');
      api('GET', '/channels')
        .done(function (answer) {
          var channels = answer.channels || [];
          $slot.empty().append(el('div', 'cb-muted', t('cardChannels', { count: channels.length })));
          $.each(channels, function (i, channel) { $slot.append(el('div', 'cb-card-line', channel.name + ': ' + t('state_' + channel.state))); });
        })
        .fail(function (err) { $slot.text(err.code === 'forbidden' ? '' : err.message); });
    }

    /* reference/amocrm.md 4.2: the bot step posts to /amocrm/salesbot and leaves by {{json.status}}. */
    function salesbotSteps(params) {
      var data = {
        channel: params.channel || '',
        text: params.text || '',
        file_url: params.file_url || '',
        // WhatsApp Cloud API channels: an approved template instead of the text (values one per line)
        template: params.template || '',
        params: params.params || '',
        header_url: params.header_url || ''
      };
      if (window.APP && typeof window.APP.getBaseEntity === 'function' && window.APP.getBaseEntity() === 'customers') data.customer = '{{customer.id}}';
      else data.lead = '{{lead.id}}';
      return [
        {
          question: [
            { handler: 'widget_request', params: { url: BACKEND_URL + '/amocrm/salesbot', data: data } },
            { handler: 'goto', params: { type: 'question', step: 1 } }
          ]
        },
        {
          question: [
            {
              handler: 'conditions',
              params: {
                logic: 'and',
                conditions: [{ term1: '{{json.status}}', term2: 'success', operation: '=' }],
                result: [{ handler: 'exits', params: { value: 'success' } }]
              }
            },
            { handler: 'exits', params: { value: 'fail' } }
          ]
        }
      ];
    }

    this.callbacks = {
      render: function () {
        var area = (self.system() || {}).area || '';
        if (area === 'lcard' || area === 'ccard') renderCard();
        return true;
      },
      init: function () {
        return true;
      },
      bind_actions: function () {
        return true;
      },
      settings: function ($modal) {
        var $target = $modal && $modal.length ? $modal : $('body');
        $target.find('.chatbridge-widget').remove();
        renderPanel($target);
        return true;
      },
      advancedSettings: function () {
        var $holder = $('#list_page_holder').empty();
        renderPanel($holder);
        return true;
      },
      onSave: function () {
        return true;
      },
      destroy: function () {
        $.each(Object.keys(qrTimers), function (i, id) { stopQr(id); });
        state.qr = {};
        state.$root = null;
      },
      /* 4.1: the DP action's hidden 'secret' field gets the account's DP secret from the backend. */
      dpSettings: function () {
        var code = self.get_settings().widget_code;
        var $form = $('.digital-pipeline__short-task_widget-style_' + code).parent().parent().find('[data-action=send_widget_hook]');
        var $secret = $form.find('input[name=secret]');
        $secret.closest('div').hide();
        api('GET', '/amocrm/dp-secret')
          .done(function (answer) { $secret.val(answer.secret).trigger('change'); })
          .fail(function (err) { $form.append(el('p', 'cb-status', t('dpSecretFailed', { message: err.message }))); });
        return true;
      },
      onSalesbotDesignerSave: function (handlerCode, params) {
        return JSON.stringify(salesbotSteps(params || {}));
      },
      salesbotDesignerSettings: function ($body, renderRow, params) {
        var texts = self.i18n('salesbot') || {};
        return {
          exits: [
            { code: 'success', title: texts.success || 'success' },
            { code: 'fail', title: texts.fail || 'fail' }
          ]
        };
      }
    };

    return this;
  };
});
