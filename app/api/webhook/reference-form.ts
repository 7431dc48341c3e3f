import { countryParam, ifCappedParam, sendToImolParam, waitParam } from "./reference-params.js";
import { type MethodDoc, sendAnswer, sendErrors } from "./reference-types.js";

/**
 * sendForm: what a form builder (Tilda, WordPress Contact Form 7…) posts, with its own field
 * names, turned into a message. Its parameters configure the call and stay in the URL the
 * builder keeps; the body holds the visitor's answers.
 */
export const SEND_FORM_DOC: MethodDoc = {
  name: "sendForm",
  summary: { en: "Send a website form submission as a message", ru: "Отправить заявку с формы сайта сообщением" },
  description: {
    en: "For form builders (Tilda, WordPress Contact Form 7, …) that POST the visitor's answers under their own field names (form data, JSON or multipart form data without files) to a fixed URL. The parameters below configure the call and go in the URL's query string; the body's fields are the visitor's answers and never override them (in a GET the fields are the query parameters with other names). body is a template: {Name} is replaced by the value of the form field Name (names in any case); a placeholder with no such field stays as written and is listed in the answer's unknown_fields. The message goes to `to` (say, the manager's number) or, without `to`, to the visitor's phone from phone_field. With both `to` and visitor_body, one submission sends two messages: body to `to` and visitor_body to the visitor; the visitor's message never holds back the manager's (if the visitor's number is missing or wrong, the manager's message still goes and the answer says why in visitor_error). A builder's repeated delivery of the same submission sends nothing again: the submission id (request_id_field, by default Tilda's tranid) is the idempotency key of each of the two messages. A test submission (test=test, sent by Tilda when a webhook is saved) is answered {\"ok\":true,\"test\":true} and sends nothing. The answer is sendText's, plus visitor_message_id and visitor_status for the visitor's message and unknown_fields when a placeholder matched no field.",
    ru: "Для конструкторов форм (Tilda, WordPress Contact Form 7 и др.), которые отправляют ответы посетителя POST-запросом на постоянный адрес под своими именами полей (данные формы, JSON или multipart/form-data без файлов). Параметры ниже настраивают вызов и пишутся в адрес (query string); поля из тела запроса — это ответы посетителя, и они никогда не заменяют настройки (в GET-запросе полями считаются параметры адреса с другими именами). body — шаблон: вместо {Name} подставляется значение поля формы Name (регистр букв в имени не важен); если такого поля нет, заготовка остаётся в тексте как есть и попадает в список unknown_fields в ответе. Сообщение уходит на номер `to` (например, менеджера), а без `to` — посетителю, на телефон из поля phone_field. Если заданы и `to`, и visitor_body, одна заявка отправляет два сообщения: body — на `to`, visitor_body — посетителю; сообщение посетителю никогда не задерживает сообщение менеджеру (если номера посетителя нет или он неверный, менеджер всё равно получит заявку, а причина будет в visitor_error в ответе). Повторная доставка той же заявки конструктором ничего не отправляет второй раз: номер заявки (поле request_id_field, по умолчанию tranid от Tilda) служит ключом идемпотентности для обоих сообщений. Тестовая заявка (test=test — её присылает Tilda при сохранении вебхука) получает ответ {\"ok\":true,\"test\":true}, и ничего не отправляется. Ответ такой же, как у sendText, плюс visitor_message_id и visitor_status для сообщения посетителю и unknown_fields, если для какой-то заготовки не нашлось поля.",
  },
  limit: {
    en: "5 requests per 3 seconds per webhook (shared with the other methods)",
    ru: "5 запросов за 3 секунды на один вебхук (общий лимит с другими методами)",
  },
  params: [
    {
      name: "body",
      required: true,
      type: "string",
      description: {
        en: "The message template, with {Field} placeholders for the form's fields.",
        ru: "Шаблон сообщения с заготовками {Поле} для полей формы.",
      },
      example: "Новая заявка от {Name}, {Phone}: {Comment}",
    },
    {
      name: "to",
      required: false,
      type: "string",
      description: {
        en: "A fixed recipient, such as the manager's number (on Telegram channels also a chat id or @username). Without it the message goes to the visitor's phone.",
        ru: "Постоянный получатель, например номер менеджера (в каналах Telegram также id чата или @username). Без него сообщение уходит посетителю на телефон из формы.",
      },
      example: "79001112233",
    },
    {
      name: "visitor_body",
      required: false,
      type: "string",
      description: {
        en: "With `to`: a second message, to the visitor's phone (a confirmation), from this template.",
        ru: "Вместе с `to`: второе сообщение по этому шаблону — посетителю на его телефон (подтверждение заявки).",
      },
      example: "{Name}, спасибо! Мы получили вашу заявку и скоро перезвоним.",
    },
    {
      name: "phone_field",
      required: false,
      type: "string",
      description: {
        en: "The form field that holds the visitor's phone. Default: the field named Phone, phone or tel (any case).",
        ru: "Поле формы с телефоном посетителя. По умолчанию — поле с именем Phone, phone или tel (в любом регистре).",
      },
      example: "Phone",
    },
    {
      name: "request_id_field",
      required: false,
      type: "string",
      description: {
        en: "The form field that holds the submission's id, used as the idempotency key for 24 hours. Default: tranid when posted (Tilda), else none.",
        ru: "Поле формы с номером заявки — ключ идемпотентности на 24 часа. По умолчанию — tranid, если оно пришло (Tilda), иначе без ключа.",
      },
      example: "tranid",
    },
    sendToImolParam,
    countryParam,
    {
      ...waitParam,
      description: {
        en: `${waitParam.description.en} Applies to the first message (to \`to\`, or to the visitor without it).`,
        ru: `${waitParam.description.ru} Относится к первому сообщению (на \`to\`, а без него — посетителю).`,
      },
    },
    ifCappedParam,
  ],
  formFields: [
    ["Name", "Иван"],
    ["Phone", "+7 900 123-45-67"],
    ["Comment", "Перезвоните после 18:00"],
    ["formid", "form123456789"],
    ["tranid", "1234567:8901234567"],
  ],
  answer: { ...sendAnswer, visitor_message_id: "5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6", visitor_status: "queued" },
  errors: [...sendErrors, "invalid_recipient", "template_required"],
};
