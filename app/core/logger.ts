import { scopeFields } from "./request-scope.js";

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** a logger whose every line also carries `fields` (request_id, job); see withFields for loggers without it */
  child?(fields: Record<string, unknown>): Logger;
}

/**
 * Field names whose values never reach a log line, whatever a caller passes: a backstop, the
 * call sites themselves log ids and codes, not credentials or message texts.
 */
const SECRET_KEY = /token|secret|password|passwd|authorization|api_?key|credential|cookie|^(text|body|caption|message_text)$/i;
export const REDACTED = "[redacted]";

/**
 * drizzle's DrizzleQueryError puts every bound value in its message ("Failed query: …\nparams: …"):
 * message texts, phone numbers, encrypted credentials. The query stays (it helps), the values go.
 */
const QUERY_PARAMS = /\nparams: [\s\S]*?(?=\n\s+at |$)/g;
export function scrubErrorText(text: string): string {
  return text.replace(QUERY_PARAMS, `\nparams: ${REDACTED}`);
}

/** Removes query values from an error's message and stack in place (its class stays, so retry rules still apply). */
export function scrubError<E>(err: E): E {
  if (err instanceof Error) {
    err.message = scrubErrorText(err.message);
    if (err.stack) err.stack = scrubErrorText(err.stack);
  }
  return err;
}

/** Copies fields with the values of secret-looking keys replaced, nested objects included. */
export function redactFields(fields: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_KEY.test(key) && value !== undefined && value !== null) out[key] = REDACTED;
    else if (typeof value === "string") out[key] = scrubErrorText(value);
    else if (depth < 4 && value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Date)) {
      out[key] = redactFields(value as Record<string, unknown>, depth + 1);
    } else out[key] = value;
  }
  return out;
}

/** One JSON object per line on the console: readable by `wrangler tail` and by log shippers. */
export function createLogger(
  level: LogLevel,
  sink: (line: string) => void = console.log,
  bound: Record<string, unknown> = {},
): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const emit = (lvl: Exclude<LogLevel, "silent">, msg: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(lvl) < min) return;
    sink(JSON.stringify({ level: lvl, time: new Date().toISOString(), msg, ...redactFields({ ...scopeFields(), ...bound, ...fields }) }));
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger(level, sink, { ...bound, ...definedOnly(fields) }),
  };
}

function definedOnly(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null));
}

/**
 * `logger.child(fields)`, or for a logger without `child` (a test's capturing object) a wrapper
 * that merges the fields into each call; a line's own fields win over the bound ones.
 */
export function withFields(logger: Logger, fields: Record<string, unknown>): Logger {
  if (logger.child) return logger.child(fields);
  const bound = definedOnly(fields);
  const merge = (f?: Record<string, unknown>) => ({ ...bound, ...f });
  return {
    debug: (m, f) => logger.debug(m, merge(f)),
    info: (m, f) => logger.info(m, merge(f)),
    warn: (m, f) => logger.warn(m, merge(f)),
    error: (m, f) => logger.error(m, merge(f)),
    child: (more) => withFields(logger, { ...bound, ...more }),
  };
}

export const silentLogger: Logger = createLogger("silent");
