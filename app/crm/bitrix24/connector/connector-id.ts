/**
 * Our Open Lines connector id. reference/bitrix24.md 3.2: lowercased by the server, `[a-z0-9_]`
 * only (a `.` fails with APPLICATION_REGISTRATION_ERROR_POINT), unique to this app.
 */
export const CONNECTOR_ID = "chatbridge";

/** 3.10: the server lowercases the id, so ids coming back are compared case-insensitively. */
export function isOurConnector(value: string | undefined): boolean {
  return value !== undefined && value.toLowerCase() === CONNECTOR_ID;
}
