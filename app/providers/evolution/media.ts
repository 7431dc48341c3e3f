import { ProviderPermanentError } from "../types.js";
import { type Ctx, evolutionCall, instancePath } from "./client.js";
import { mediaAnswerSchema } from "./schema.js";

/** Baileys message ids: hex or alphanumeric (`3EB0…`, `BAE5…`, 16 to 32+ characters). */
const KEY_ID = /^[A-Za-z0-9_-]{4,128}$/;

/**
 * `media:<key.id>` -> the file's bytes as a `data:` URL (channels-next.md 4 "Media download").
 * The `url` inside a WhatsApp message points at the encrypted CDN copy, so the server must
 * decrypt it: `POST /chat/getBase64FromMediaMessage/{instance}` with the message key. Evolution
 * then finds the message in its own database (DATABASE_SAVE_DATA_NEW_MESSAGE, on in its sample
 * .env) and downloads it from WhatsApp. We chose this over `webhook.base64:true`, which would
 * make the server download every file before it even posts the event and put megabytes in
 * each webhook body; S3's `mediaUrl` is used directly when the server has S3 on.
 * The answer is JSON, not a download, hence the `data:` URL: Node's and Workers' fetch both
 * read those, so the usual re-hosting path stores it.
 */
export async function resolveEvolutionMedia(ctx: Ctx, ref: string): Promise<{ url: string; name?: string; mime?: string }> {
  const id = ref.replace(/^media:/, "");
  if (!KEY_ID.test(id)) throw new ProviderPermanentError("bad_request", `not an Evolution message id: ${ref.slice(0, 60)}`);
  const answer = await evolutionCall(
    ctx,
    instancePath(ctx, "chat/getBase64FromMediaMessage"),
    mediaAnswerSchema,
    { method: "POST", body: { message: { key: { id } }, convertToMp4: false }, timeoutMs: 120_000 },
    (status, body) =>
      status === 400 && /message not found|not of the media type/i.test(JSON.stringify(body))
        ? new ProviderPermanentError(
            "rejected",
            "the Evolution API server no longer has this message's media (is DATABASE_SAVE_DATA_NEW_MESSAGE on?)",
          )
        : undefined,
  );
  const mime = answer.mimetype?.split(";")[0]?.trim() || "application/octet-stream";
  return {
    url: `data:${mime};base64,${answer.base64}`,
    ...(answer.fileName ? { name: answer.fileName } : {}),
    ...(answer.mimetype ? { mime: answer.mimetype } : {}),
  };
}
