import { AppError } from "./errors.js";

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A request body's text as a JSON object, or `invalid_body` saying why not. */
export function parseJsonObject(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AppError("invalid_body", "the body is not valid JSON");
  }
  if (!isRecord(parsed)) throw new AppError("invalid_body", "the JSON body must be an object");
  return parsed;
}
