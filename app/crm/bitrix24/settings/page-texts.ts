/**
 * Texts of the settings pages. Bitrix24 passes the portal user's language as LANG in the query
 * (reference/bitrix24.md 1.2); Russian-speaking portals (ru, and by/kz that Bitrix24 serves in
 * Russian) get Russian, every other language English.
 */
const en = {
  title: "chatbridge: WhatsApp and Telegram channels",
  channels: "Channels",
  addChannel: "Add a channel",
  loading: "Loading…",
  needsJs: "This page needs JavaScript.",
  openLine: "Open Line {line}",
  lineBound: "Connected channel: {name}",
  lineUnbound: "No channel is connected to this Open Line yet: choose one below.",
  noChannels: "No channels yet: add one below.",
  provider: "Provider",
  chooseProvider: "Choose a provider…",
  messenger: "Messenger",
  channelName: "Channel name",
  state: "State",
  webhookUrl: "Webhook URL (for website forms, 1C, booking systems)",
  hookUrl: "Provider hook URL",
  hookUrlHint: "Paste it into the provider's console as the webhook address.",
  copy: "Copy",
  copied: "Copied.",
  copyFailed: "Could not copy: select the text and copy it by hand.",
  bind: "Connect to this Open Line",
  boundHere: "Connected to this Open Line",
  bound: "The channel is connected to Open Line {line}.",
  showQr: "Show QR code",
  refreshQr: "Refresh QR code",
  qrAlt: "QR code to scan with the phone",
  qrHint: "Scan it in the messenger app on the phone: Linked devices → Link a device.",
  qrConnected: "The channel is logged in: no QR code is needed.",
  testPhone: "Phone for a test message",
  sendTest: "Send a test message",
  testQueued: "The test message is queued (status: {status}).",
  regenerate: "New webhook URL",
  confirmRegenerate: "Make a new webhook URL for “{name}”? The current URL stops working at once.",
  regenerated: "A new webhook URL is issued; the old one no longer works.",
  remove: "Delete",
  confirmDelete: "Delete the channel “{name}”? Its Open Line is disconnected and its webhook URL stops working.",
  deleted: "The channel “{name}” is deleted.",
  created: "The channel “{name}” is added.",
  required: "required",
  missingFields: "Fill in: {fields}.",
  invalidFields: "Check: {fields}.",
  working: "Working…",
  done: "Done.",
  networkError: "The server cannot be reached: check the connection and try again.",
  sessionExpired: "The session has expired: reopen this page from Bitrix24.",
  unexpectedAnswer: "Unexpected answer from the server (HTTP {status}).",
  unexpectedError: "Something went wrong: try again.",
  providersFailed: "The list of providers could not be loaded: {message}",
  errorTitle: "The settings cannot be opened",
  hintReopen: "Open the app again from the Bitrix24 portal (Applications → chatbridge). If it keeps happening, reinstall the app.",
  hintAdmin: "Only Bitrix24 administrators can change these settings. Ask an administrator of your portal.",
  hintLater: "Wait a minute and open the page again.",
  hintPlacement: "Open these settings from the Contact Center: Open Lines → chatbridge.",
  hintGeneric: "Try again later. If it keeps happening, contact the app's support with the request id below.",
  requestId: "Request id",
};

export type TextKey = keyof typeof en;
export type PageTexts = Record<TextKey, string>;

const ru: PageTexts = {
  title: "chatbridge: каналы WhatsApp и Telegram",
  channels: "Каналы",
  addChannel: "Добавить канал",
  loading: "Загрузка…",
  needsJs: "Для этой страницы нужен JavaScript.",
  openLine: "Открытая линия {line}",
  lineBound: "Подключённый канал: {name}",
  lineUnbound: "К этой открытой линии ещё не подключён канал: выберите его ниже.",
  noChannels: "Каналов пока нет: добавьте канал ниже.",
  provider: "Провайдер",
  chooseProvider: "Выберите провайдера…",
  messenger: "Мессенджер",
  channelName: "Название канала",
  state: "Состояние",
  webhookUrl: "Webhook URL (для форм сайта, 1С, систем записи)",
  hookUrl: "Адрес для вебхуков провайдера",
  hookUrlHint: "Вставьте его в кабинет провайдера как адрес вебхука.",
  copy: "Копировать",
  copied: "Скопировано.",
  copyFailed: "Не удалось скопировать: выделите текст и скопируйте вручную.",
  bind: "Подключить к этой открытой линии",
  boundHere: "Подключён к этой открытой линии",
  bound: "Канал подключён к открытой линии {line}.",
  showQr: "Показать QR-код",
  refreshQr: "Обновить QR-код",
  qrAlt: "QR-код для сканирования телефоном",
  qrHint: "Отсканируйте его в мессенджере на телефоне: Связанные устройства → Привязка устройства.",
  qrConnected: "Канал авторизован: QR-код не нужен.",
  testPhone: "Телефон для тестового сообщения",
  sendTest: "Отправить тестовое сообщение",
  testQueued: "Тестовое сообщение поставлено в очередь (статус: {status}).",
  regenerate: "Новый webhook URL",
  confirmRegenerate: "Создать новый webhook URL для «{name}»? Текущий адрес сразу перестанет работать.",
  regenerated: "Выдан новый webhook URL; старый больше не работает.",
  remove: "Удалить",
  confirmDelete: "Удалить канал «{name}»? Открытая линия будет отключена, webhook URL перестанет работать.",
  deleted: "Канал «{name}» удалён.",
  created: "Канал «{name}» добавлен.",
  required: "обязательно",
  missingFields: "Заполните: {fields}.",
  invalidFields: "Проверьте: {fields}.",
  working: "Выполняется…",
  done: "Готово.",
  networkError: "Сервер недоступен: проверьте соединение и повторите.",
  sessionExpired: "Сессия истекла: откройте страницу из Битрикс24 заново.",
  unexpectedAnswer: "Неожиданный ответ сервера (HTTP {status}).",
  unexpectedError: "Что-то пошло не так: повторите попытку.",
  providersFailed: "Не удалось загрузить список провайдеров: {message}",
  errorTitle: "Настройки не открываются",
  hintReopen: "Откройте приложение заново из портала Битрикс24 (Приложения → chatbridge). Если ошибка повторяется, переустановите приложение.",
  hintAdmin: "Менять эти настройки могут только администраторы Битрикс24. Обратитесь к администратору портала.",
  hintLater: "Подождите минуту и откройте страницу снова.",
  hintPlacement: "Откройте эти настройки из Контакт-центра: Открытые линии → chatbridge.",
  hintGeneric: "Повторите позже. Если ошибка повторяется, напишите в поддержку приложения и укажите идентификатор запроса ниже.",
  requestId: "Идентификатор запроса",
};

export type PageLanguage = "en" | "ru";

const RUSSIAN_LANGS = new Set(["ru", "by", "kz"]);

export function pickLanguage(lang: string | undefined): PageLanguage {
  return RUSSIAN_LANGS.has((lang ?? "").trim().toLowerCase()) ? "ru" : "en";
}

export function textsOf(language: PageLanguage): PageTexts {
  return language === "ru" ? ru : en;
}

/** `{name}` placeholders filled in; the server-rendered parts of the page use it. */
export function fillText(text: string, vars: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (whole, key: string) => vars[key] ?? whole);
}
