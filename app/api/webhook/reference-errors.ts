import type { ErrorCode } from "../../core/errors.js";
import { MAX_REMOTE_FILE_BYTES } from "../../core/remote-file.js";
import type { Localized } from "./reference-types.js";

const MAX_FILE_MB = MAX_REMOTE_FILE_BYTES / 1024 / 1024;

/** Every error the API answers with and when, in both languages; shared by every method (invalid_token and the rest). */
export const ERROR_DOCS: Array<{ code: ErrorCode; when: Localized }> = [
  {
    code: "invalid_token",
    when: {
      en: "The token in the URL is unknown, or belongs to the other kind (a WhatsApp token under /tg/).",
      ru: "Токен в адресе неизвестен или относится к другому типу канала (токен WhatsApp в адресе с /tg/).",
    },
  },
  {
    code: "token_revoked",
    when: {
      en: "The webhook was regenerated: copy the new URL from the channel settings.",
      ru: "Вебхук перевыпущен: скопируйте новый адрес из настроек канала.",
    },
  },
  {
    code: "forbidden",
    when: { en: "The token is restricted to other methods.", ru: "Этому токену разрешены только другие методы." },
  },
  {
    code: "missing_parameter",
    when: {
      en: "A required parameter is absent or empty; `field` names it.",
      ru: "Обязательный параметр не передан или пуст; его имя — в поле `field`.",
    },
  },
  {
    code: "invalid_parameter",
    when: {
      en: "A parameter has a wrong value (or a file link points to a private address); `field` names it.",
      ru: "У параметра неверное значение (или ссылка на файл ведёт на внутренний адрес); его имя — в поле `field`.",
    },
  },
  {
    code: "invalid_body",
    when: { en: "The POST body is not form data or a JSON object.", ru: "Тело POST-запроса — не данные формы и не JSON-объект." },
  },
  {
    code: "invalid_phone",
    when: { en: "The phone number cannot be read; the message says why.", ru: "Номер телефона не удаётся разобрать; причина — в `message`." },
  },
  {
    code: "rate_limited",
    when: {
      en: "Too many requests; the Retry-After header says after how many seconds to retry.",
      ru: "Слишком много запросов; заголовок Retry-After говорит, через сколько секунд повторить.",
    },
  },
  {
    code: "daily_cap_reached",
    when: {
      en: "With if_capped=fail: the channel has sent its daily cap of messages (or of new chats) and no fallback channel can take the message. Nothing was queued.",
      ru: "С if_capped=fail: канал исчерпал дневной лимит сообщений (или новых диалогов), и резервного канала, который мог бы отправить сообщение, нет. Сообщение не поставлено в очередь.",
    },
  },
  {
    code: "channel_not_connected",
    when: {
      en: "The channel is logged out, banned or its credentials are rejected.",
      ru: "Канал отключён (нужно заново отсканировать QR-код), заблокирован, или провайдер не принимает его ключи доступа.",
    },
  },
  {
    code: "no_messenger",
    when: { en: "The number has no account in this messenger.", ru: "У номера нет аккаунта в этом мессенджере." },
  },
  {
    code: "invalid_recipient",
    when: {
      en: "The Telegram chat does not exist for this bot: the client has not started it.",
      ru: "У этого бота нет такого чата Telegram: клиент не запускал бота.",
    },
  },
  {
    code: "template_required",
    when: {
      en: "WhatsApp Cloud API: more than 24 hours have passed since the client's last message; only sendTemplate can reach them until they write again.",
      ru: "WhatsApp Cloud API: с последнего сообщения клиента прошло больше 24 часов; пока клиент не напишет снова, до него дойдёт только sendTemplate.",
    },
  },
  {
    code: "template_invalid",
    when: {
      en: "The template does not exist on the number, is not approved, or the number of values does not fit.",
      ru: "Такого шаблона у номера нет, он не одобрен, или число значений не совпадает с шаблоном.",
    },
  },
  {
    code: "send_failed",
    when: {
      en: "The provider refused the message for another reason (see message).",
      ru: "Провайдер отказался отправлять сообщение по другой причине (см. `message`).",
    },
  },
  {
    code: "file_unreachable",
    when: {
      en: "The file link does not answer or answers with an error.",
      ru: "Ссылка на файл не отвечает или отвечает ошибкой.",
    },
  },
  {
    code: "file_too_large",
    when: { en: `The file is larger than ${MAX_FILE_MB} MB.`, ru: `Файл больше ${MAX_FILE_MB} МБ.` },
  },
  {
    code: "unsupported",
    when: {
      en: "The channel's provider cannot do this (e.g. checkPhone).",
      ru: "Провайдер канала этого не умеет (например, checkPhone).",
    },
  },
  {
    code: "unavailable",
    when: { en: "The provider did not answer; retry later.", ru: "Провайдер не ответил; повторите позже." },
  },
  {
    code: "database_unavailable",
    when: {
      en: "Our database cannot be reached for a moment (a restart or failover): nothing was stored; retry after the Retry-After header's seconds.",
      ru: "Наша база данных ненадолго недоступна (перезапуск или переключение): ничего не сохранено; повторите через столько секунд, сколько указано в заголовке Retry-After.",
    },
  },
  {
    code: "not_found",
    when: {
      en: "No such message for this channel and recipient, or no such method.",
      ru: "Такого сообщения у этого канала и получателя нет, или нет такого метода.",
    },
  },
  {
    code: "internal",
    when: {
      en: "Our fault; the request_id helps support find it.",
      ru: "Ошибка на нашей стороне; по request_id поддержка найдёт запрос.",
    },
  },
];
