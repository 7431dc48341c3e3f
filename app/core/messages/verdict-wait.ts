/**
 * Jobs that note an outgoing message in the CRM (the Bitrix24 timeline, the amoCRM contact) say
 * what became of it, so they wait for the provider's verdict: written with the message to run
 * VERDICT_WAIT_MS later, they are brought forward to run at once by the status write that settles
 * the message (status.ts applyStatus, in the same statement). A note job that still finds its
 * message queued (a send retried for longer) looks again later, as before.
 *
 * Before, the note ran with the send and nearly always found the message still queued: one
 * wasted run, a retry and an error per API message under load (bench/load.ts).
 */
export const VERDICT_WAIT_MS = 10_000;

/** Notes a robot or API send in the Bitrix24 CRM timeline (crm/bitrix24/automation/timeline-note.ts). */
export const TIMELINE_NOTE_JOB = "b24.timeline_note";

/** The same for amoCRM: a note on the contact and its open leads (crm/amocrm/contact-note.ts). */
export const AMOCRM_NOTE_JOB = "amocrm.contact_note";

/** The dedup keys of a message's note jobs, as a PostgreSQL text[] literal (ids are uuids: nothing to escape). */
export function verdictWaiterKeys(messageId: string): string {
  return `{${TIMELINE_NOTE_JOB}:${messageId},${AMOCRM_NOTE_JOB}:${messageId}}`;
}
