import type { MethodDoc } from "./reference.js";

/**
 * Ready-to-paste calls of each method, one generator per language, built from the method's
 * description so a parameter added there shows up in every recipe. Every recipe POSTs a form
 * (the one body every client and 1C version sends alike) and checks the answer's `ok`.
 */

/** One call of a method: its URL, what stays in the query (sendForm's configuration) and what goes in the body. */
export interface RecipeCall {
  url: string;
  query: Array<[string, string]>;
  body: Array<[string, string]>;
  /** the answer names a message: recipes show its id */
  answersMessage: boolean;
}

/** The parameters a recipe shows: the required ones, plus the few an integrator nearly always sets. */
const SHOWN_OPTIONAL = new Set(["send_to_imol", "caption", "to", "visitor_body"]);

export function recipeCall(m: MethodDoc, base: string): RecipeCall {
  const shown = m.params.filter((p) => p.required || SHOWN_OPTIONAL.has(p.name)).map((p): [string, string] => [p.name, p.example]);
  const url = `${base}/${m.name}`;
  const answersMessage = "message_id" in m.answer && m.name !== "checkMessageStatus";
  return m.formFields ? { url, query: shown, body: m.formFields, answersMessage } : { url, query: [], body: shown, answersMessage };
}

const withQuery = (url: string, query: Array<[string, string]>) => (query.length > 0 ? `${url}?${new URLSearchParams(query).toString()}` : url);

/** Single-quoted for POSIX shells: a quote inside becomes '\'' */
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** curl: GET with everything in the query, a form POST, a JSON POST. */
export function curlRecipes(call: RecipeCall): { get: string; form: string; json: string } {
  const target = withQuery(call.url, call.query);
  if (call.body.length === 0) return { get: `curl ${shellQuote(call.url)}`, form: `curl -X POST ${shellQuote(call.url)}`, json: "" };
  const form = call.body.map(([k, v]) => `--data-urlencode ${shellQuote(`${k}=${v}`)}`).join(" \\\n     ");
  return {
    get: `curl ${shellQuote(withQuery(call.url, [...call.query, ...call.body]))}`,
    form: `curl -X POST ${shellQuote(target)} \\\n     ${form}`,
    json: `curl -X POST ${shellQuote(target)} \\\n     -H 'Content-Type: application/json' \\\n     -d ${shellQuote(JSON.stringify(Object.fromEntries(call.body)))}`,
  };
}

/** A 1C:Enterprise string literal: quotes doubled, line breaks through Символы.ПС. */
const onecString = (s: string) => `"${s.replace(/"/g, '""').split("\n").join('" + Символы.ПС + "')}"`;

function onecMap(variable: string, pairs: Array<[string, string]>): string[] {
  return [`${variable} = Новый Соответствие;`, ...pairs.map(([k, v]) => `${variable}.Вставить(${onecString(k)}, ${onecString(v)});`)];
}

/** Percent-encodes a Соответствие into `a=1&b=2`; КодировкаURL writes the text as UTF-8. */
function onecEncode(target: string, source: string): string[] {
  return [
    `${target} = "";`,
    `Для Каждого Параметр Из ${source} Цикл`,
    `    ${target} = ${target} + ?(${target} = "", "", "&") + КодироватьСтроку(Параметр.Ключ, СпособКодированияСтроки.КодировкаURL)`,
    `        + "=" + КодироватьСтроку(Параметр.Значение, СпособКодированияСтроки.КодировкаURL);`,
    "КонецЦикла;",
  ];
}

/** 1C:Enterprise 8.3: HTTPСоединение + HTTPЗапрос, a UTF-8 form body, ЧтениеJSON and a check of ok. */
export function onecRecipe(call: RecipeCall): string {
  const url = new URL(call.url);
  const https = url.protocol === "https:";
  const port = url.port ? Number(url.port) : https ? 443 : 80;
  const secure = https ? ", Новый ЗащищенноеСоединениеOpenSSL" : "";
  const lines: string[] = [];
  if (call.query.length > 0) lines.push(...onecMap("ПараметрыАдреса", call.query), ...onecEncode("Адрес", "ПараметрыАдреса"), "");
  lines.push(...onecMap("Параметры", call.body), ...onecEncode("Тело", "Параметры"), "");
  // the path as written (URL.pathname would percent-encode the docs' <token> placeholder)
  const pathname = call.url.slice(url.origin.length);
  const path = call.query.length > 0 ? `${onecString(`${pathname}?`)} + Адрес` : onecString(pathname);
  lines.push(
    `Соединение = Новый HTTPСоединение(${onecString(url.hostname)}, ${port}, , , , 30${secure});`,
    "Заголовки = Новый Соответствие;",
    'Заголовки.Вставить("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");',
    `Запрос = Новый HTTPЗапрос(${path}, Заголовки);`,
    "Запрос.УстановитьТелоИзСтроки(Тело, КодировкаТекста.UTF8, ИспользованиеByteOrderMark.НеИспользовать);",
    "Ответ = Соединение.ОтправитьДляОбработки(Запрос);",
    "",
    "Чтение = Новый ЧтениеJSON;",
    "Чтение.УстановитьСтроку(Ответ.ПолучитьТелоКакСтроку(КодировкаТекста.UTF8));",
    "Результат = ПрочитатьJSON(Чтение, Истина); // Соответствие",
    "Чтение.Закрыть();",
    'Если Результат.Получить("ok") = Истина Тогда',
    call.answersMessage ? '    Сообщить("Отправлено, message_id: " + Результат.Получить("message_id"));' : '    Сообщить("Готово");',
    "Иначе",
    '    Сообщить("Ошибка " + Результат.Получить("error") + ": " + Результат.Получить("message"));',
    "КонецЕсли;",
  );
  return lines.join("\n");
}

/** A PHP single-quoted string literal. */
const phpString = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

const phpArray = (pairs: Array<[string, string]>) =>
  pairs.length === 0 ? "[]" : `[\n${pairs.map(([k, v]) => `    ${phpString(k)} => ${phpString(v)},`).join("\n")}\n]`;

function phpHead(call: RecipeCall): string {
  const url = call.query.length > 0 ? `${phpString(`${call.url}?`)} . http_build_query(${phpArray(call.query)})` : phpString(call.url);
  return `<?php\n$url = ${url};\n$params = ${phpArray(call.body)};`;
}

const phpCheck = (answer: string) =>
  `if (!empty(${answer}['ok'])) {\n    print_r(${answer});\n} else {\n    echo 'Error ', ${answer}['error'], ': ', ${answer}['message'], PHP_EOL;\n}`;

/** PHP without extensions: file_get_contents with a stream context; ignore_errors keeps the JSON of a 4xx answer. */
export function phpStreamRecipe(call: RecipeCall): string {
  return `${phpHead(call)}
$context = stream_context_create(['http' => [
    'method' => 'POST',
    'header' => "Content-Type: application/x-www-form-urlencoded\\r\\n",
    'content' => http_build_query($params),
    'timeout' => 30,
    'ignore_errors' => true,
]]);
$answer = json_decode(file_get_contents($url, false, $context), true);
${phpCheck("$answer")}`;
}

/** PHP with the cURL extension. */
export function phpCurlRecipe(call: RecipeCall): string {
  return `${phpHead(call)}
$ch = curl_init($url);
curl_setopt_array($ch, [
    CURLOPT_POST => true,
    CURLOPT_POSTFIELDS => http_build_query($params),
    CURLOPT_RETURNTRANSFER => true,
    CURLOPT_TIMEOUT => 30,
]);
$answer = json_decode(curl_exec($ch), true);
curl_close($ch);
${phpCheck("$answer")}`;
}

const jsObject = (pairs: Array<[string, string]>) =>
  pairs.length === 0 ? "{}" : `{\n${pairs.map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`).join("\n")}\n}`;

/** JavaScript (browsers, Node.js 18+, Deno): fetch with a form body; an ES module for the top-level await. */
export function jsRecipe(call: RecipeCall): string {
  const url = call.query.length > 0 ? `${JSON.stringify(`${call.url}?`)} + new URLSearchParams(${jsObject(call.query)})` : JSON.stringify(call.url);
  return `const url = ${url};
const params = new URLSearchParams(${jsObject(call.body)});
const response = await fetch(url, { method: "POST", body: params });
const answer = await response.json();
if (!answer.ok) throw new Error(\`\${answer.error}: \${answer.message}\`);
console.log(JSON.stringify(answer));`;
}

const pyDict = (pairs: Array<[string, string]>) =>
  pairs.length === 0 ? "{}" : `{\n${pairs.map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)},`).join("\n")}\n}`;

/** Python 3 with requests. */
export function pythonRecipe(call: RecipeCall): string {
  const query = call.query.length > 0 ? `query = ${pyDict(call.query)}\n` : "";
  return `import json
import requests

url = ${JSON.stringify(call.url)}
${query}params = ${pyDict(call.body)}
answer = requests.post(url, ${query ? "params=query, " : ""}data=params, timeout=30).json()
if not answer["ok"]:
    raise SystemExit(f"{answer['error']}: {answer['message']}")
print(json.dumps(answer, ensure_ascii=False))`;
}
