import type { DocLang } from "./reference.js";

/**
 * The docs page's own words (headings, the introduction, the form builders' recipes) in both
 * languages. What each method and error means lives in reference*.ts, shared with OpenAPI.
 * Values are trusted static text; `code` and `url` arguments arrive HTML-escaped.
 */
export interface PageTexts {
  title: string;
  intro: (base: string) => string;
  formats: string;
  limitsTitle: string;
  limits: string;
  reliableTitle: string;
  reliable: string;
  contents: string;
  parameter: string;
  type: string;
  description: string;
  noParams: string;
  warning: string;
  limit: string;
  examples: string;
  postForm: string;
  postJson: string;
  onec: string;
  phpStream: string;
  phpCurl: string;
  answer: string;
  errors: string;
  errorCodes: string;
  when: string;
  builderUrl: string;
  tilda: (url: string) => string;
  cf7: string;
  openapi: (link: string) => string;
}

export const PAGE_TEXTS: Record<DocLang, PageTexts> = {
  en: {
    title: "chatbridge webhook API",
    intro: (base) => `<p>Every channel has a secret webhook URL, shown in its settings:
<code>${base}</code> for WhatsApp channels, <code>…/rest/webhook/tg/&lt;token&gt;</code> for Telegram channels.
Append a method name. Anyone who has the URL can send messages from your number: keep it secret, and regenerate it in the settings if it leaks (the old URL stops working at once).
Opened from the channel settings, this page shows the channel's own URL in every example.</p>`,
    formats: `<p>Every method accepts <b>GET</b> with query parameters and <b>POST</b> with a form (<code>application/x-www-form-urlencoded</code>) or JSON body of the same names.
Answers are always JSON: <code>{"ok":true,…}</code> or <code>{"ok":false,"error":"&lt;code&gt;","message":"…","request_id":"…"}</code>.
Write Russian numbers with 7 in front (8 and +7 are understood too). Text is UTF-8: send Cyrillic percent-encoded as UTF-8 in forms and URLs.</p>`,
    limitsTitle: "Limits",
    limits: `<ul><li>5 requests per 3 seconds per webhook for every method except checkPhone;</li>
<li>checkPhone: 3 requests per second per webhook.</li></ul>
<p>Over the limit the answer is HTTP 429 <code>rate_limited</code> with a <code>Retry-After</code> header (seconds). Limits count per webhook across all our servers.</p>`,
    reliableTitle: "Sending reliably",
    reliable: `<p>Pass <code>request_id</code> (an order or form submission number): a repeat within 24 hours returns the first message and sends nothing, so a retry after a timeout never sends twice. After 24 hours the same request_id sends again.
Pass <code>wait=3</code> (at most 10) to get the provider's verdict in the answer (<code>sent</code>, or an error such as <code>no_messenger</code>); without it the answer is <code>queued</code> and <code>checkMessageStatus</code> tells what happened.</p>`,
    contents: "Methods",
    parameter: "Parameter",
    type: "Type",
    description: "Description",
    noParams: "No parameters.",
    warning: "Warning:",
    limit: "Limit",
    examples: "Examples",
    postForm: "POST, form",
    postJson: "POST, JSON",
    onec: "1C:Enterprise 8.3",
    phpStream: "PHP (file_get_contents)",
    phpCurl: "PHP (cURL)",
    answer: "Answer",
    errors: "Errors",
    errorCodes: "Error codes",
    when: "When",
    builderUrl: "The URL to paste into the form builder (manager notified, visitor confirmed):",
    tilda: (url) => `<h3>Tilda</h3>
<p>Tilda sends each form submission to one webhook URL as form data, with the form's field names (the variable names set in each field, e.g. <code>Name</code>, <code>Phone</code>, <code>Comment</code>) and its own <code>formid</code> and <code>tranid</code> (the submission id).
In the site settings, in the forms section, add a webhook receiver with the URL below, then turn it on for the form in the form block's settings.
When the webhook is saved, Tilda sends a test request (<code>test=test</code>): it is answered <code>{"ok":true,"test":true}</code> and sends nothing.
Tilda allows one webhook per form, so one URL does both: <code>body</code> goes to <code>to</code> (the manager) and <code>visitor_body</code> to the phone from the <code>Phone</code> field.
<code>tranid</code> is the idempotency key by default, so Tilda's repeated deliveries of one submission send nothing again.</p>
<pre>${url}</pre>`,
    cf7: `<h3>WordPress Contact Form 7</h3>
<p>Contact Form 7 does not call webhooks itself: a plugin such as "CF7 to Webhook" posts each submission to a URL. Paste the sendForm URL into the plugin's settings for the form; form data and JSON are both read.
The field names are the names of the form's tags (e.g. <code>[text* your-name]</code>, <code>[tel* your-phone]</code>), so the template reads <code>{your-name}</code> and the phone needs <code>phone_field=your-phone</code>.
Contact Form 7 sends no submission id: if the plugin lets you add a field with a unique value per submission, name it in <code>request_id_field</code> so a retry never sends twice.</p>`,
    openapi: (link) => `<p>Machine-readable description: ${link} (OpenAPI 3.1, English).</p>`,
  },
  ru: {
    title: "Вебхук chatbridge: API для интеграций",
    intro: (base) => `<p>У каждого канала есть секретный адрес вебхука — он показан в настройках канала:
<code>${base}</code> для каналов WhatsApp и <code>…/rest/webhook/tg/&lt;token&gt;</code> для каналов Telegram.
В конце адреса допишите название метода. Любой, у кого есть этот адрес, может отправлять сообщения с вашего номера: держите его в секрете, а если он утёк — перевыпустите вебхук в настройках (старый адрес сразу перестанет работать).
Если открыть эту страницу из настроек канала, во всех примерах будет настоящий адрес этого канала.</p>`,
    formats: `<p>Каждый метод принимает <b>GET</b> с параметрами в адресе и <b>POST</b> с телом в виде формы (<code>application/x-www-form-urlencoded</code>) или JSON с теми же именами параметров.
Ответ всегда в JSON: <code>{"ok":true,…}</code> или <code>{"ok":false,"error":"&lt;код&gt;","message":"…","request_id":"…"}</code>.
Российские номера пишите с 7 в начале (8 и +7 тоже понимаются). Текст — в UTF-8: кириллицу в форме и в адресе кодируйте в UTF-8 (процентная кодировка).</p>`,
    limitsTitle: "Ограничения",
    limits: `<ul><li>5 запросов за 3 секунды на один вебхук — для всех методов, кроме checkPhone;</li>
<li>checkPhone: 3 запроса в секунду на один вебхук.</li></ul>
<p>При превышении ответ — HTTP 429 <code>rate_limited</code> с заголовком <code>Retry-After</code> (через сколько секунд повторить). Лимиты считаются на вебхук сразу по всем нашим серверам.</p>`,
    reliableTitle: "Надёжная отправка",
    reliable: `<p>Передавайте <code>request_id</code> (номер заказа или заявки): повтор в течение 24 часов возвращает первое сообщение и ничего не отправляет, так что повтор после таймаута никогда не отправит сообщение дважды. Через 24 часа тот же request_id отправит снова.
Передайте <code>wait=3</code> (не больше 10), чтобы получить в ответе решение провайдера (<code>sent</code> или ошибку, например <code>no_messenger</code>); без него ответ — <code>queued</code>, а что стало с сообщением, скажет <code>checkMessageStatus</code>.</p>`,
    contents: "Методы",
    parameter: "Параметр",
    type: "Тип",
    description: "Описание",
    noParams: "Без параметров.",
    warning: "Внимание:",
    limit: "Лимит",
    examples: "Примеры",
    postForm: "POST, форма",
    postJson: "POST, JSON",
    onec: "1С:Предприятие 8.3",
    phpStream: "PHP (file_get_contents)",
    phpCurl: "PHP (cURL)",
    answer: "Ответ",
    errors: "Ошибки",
    errorCodes: "Коды ошибок",
    when: "Когда",
    builderUrl: "Адрес для конструктора форм (заявка менеджеру и подтверждение посетителю):",
    tilda: (url) => `<h3>Tilda</h3>
<p>Tilda отправляет каждую заявку с формы на один адрес вебхука в виде данных формы — с именами полей формы (это имена переменных, заданные в каждом поле, например <code>Name</code>, <code>Phone</code>, <code>Comment</code>) и своими полями <code>formid</code> и <code>tranid</code> (номер заявки).
В настройках сайта, в разделе форм, добавьте приёмщик данных Webhook с адресом ниже и включите его для формы в настройках блока с формой.
При сохранении вебхука Tilda присылает тестовый запрос (<code>test=test</code>): он получает ответ <code>{"ok":true,"test":true}</code>, и ничего не отправляется.
У формы в Tilda может быть только один вебхук, поэтому один адрес делает всё сразу: <code>body</code> уходит на номер <code>to</code> (менеджеру), а <code>visitor_body</code> — посетителю на телефон из поля <code>Phone</code>.
По умолчанию ключ идемпотентности — <code>tranid</code>, так что повторная доставка одной и той же заявки ничего не отправит второй раз.</p>
<pre>${url}</pre>`,
    cf7: `<h3>WordPress Contact Form 7</h3>
<p>Contact Form 7 сам вебхуки не вызывает: заявки на адрес отправляет плагин, например «CF7 to Webhook». Вставьте адрес sendForm в настройки плагина для нужной формы; принимаются и данные формы, и JSON.
Имена полей — это имена тегов формы (например, <code>[text* your-name]</code>, <code>[tel* your-phone]</code>), поэтому в шаблоне пишется <code>{your-name}</code>, а для телефона нужен <code>phone_field=your-phone</code>.
Contact Form 7 не передаёт номер заявки: если плагин позволяет добавить поле с уникальным значением для каждой заявки, укажите его в <code>request_id_field</code> — тогда повтор не отправит сообщение дважды.</p>`,
    openapi: (link) => `<p>Машиночитаемое описание: ${link} (OpenAPI 3.1, на английском).</p>`,
  },
};
