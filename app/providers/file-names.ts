/**
 * A file's name and type as providers need them when the CRM gave only a link: the name from
 * the link's last path segment, the type from the name's extension. Shared by every provider
 * that names or types what it sends (Devino, Telegram, the Cloud API).
 */
const MIME_BY_EXTENSION: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  gif: "image/gif",
  mp4: "video/mp4",
  mov: "video/quicktime",
  "3gp": "video/3gpp",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  oga: "audio/ogg",
  opus: "audio/ogg",
  m4a: "audio/mp4",
  aac: "audio/aac",
  amr: "audio/amr",
  pdf: "application/pdf",
  txt: "text/plain",
  zip: "application/zip",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xls: "application/vnd.ms-excel",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ppt: "application/vnd.ms-powerpoint",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
};

/** The given name, else the link's last path segment (decoded), else "file". */
export function fileNameOf(file: { url: string; name?: string | undefined }): string {
  if (file.name) return file.name;
  try {
    const last = new URL(file.url).pathname.split("/").filter(Boolean).at(-1);
    if (last) return decodeURIComponent(last);
  } catch {
    // a malformed URL or escape: the generic name will do
  }
  return "file";
}

/** The given type (parameters dropped), else the one the name's extension says; undefined when neither tells. */
export function mimeOf(file: { url: string; name?: string | undefined; mime?: string | undefined }): string | undefined {
  const given = file.mime?.split(";")[0]?.trim().toLowerCase();
  return given || MIME_BY_EXTENSION[fileNameOf(file).split(".").at(-1)?.toLowerCase() ?? ""];
}
