/**
 * The server's one MIME table: file names ↔ MIME types for the components (an output's
 * `mime_type`, the name given to raw bytes) and for the HTTP answers (served files and page
 * assets), so that a file is described the same way wherever it goes. The table is the `mime`
 * package's (IANA and common types); a sniff of the first bytes covers outputs returned as raw
 * bytes (a model returns a PNG Buffer; the page needs `image/png` and a `.png` name to show it).
 */
import { Mime } from "mime";
import otherTypes from "mime/types/other.js";
import standardTypes from "mime/types/standard.js";

/**
 * Where the registry's choice is not what browsers and Gradio use: its first extension for
 * audio/mpeg is "mpga" and for audio/ogg "oga", and it has `.flac` as audio/x-flac. The first
 * extension of each list is the one a type is named with.
 */
const PREFERRED: Record<string, string[]> = {
  "audio/mpeg": ["mp3"],
  "audio/ogg": ["ogg", "oga"],
  "audio/flac": ["flac"],
  "audio/aac": ["aac"],
};

const table = new Mime(standardTypes, otherTypes).define(PREFERRED, true);

/** MIME type of a file name by its extension, or null when unknown. */
export function mimeFromName(name: string): string | null {
  // The package takes a bare extension for a name without a dot; a name like "wav" is no ".wav".
  if (!name.includes(".")) return null;
  return table.getType(name);
}

/** Usual extension (without the dot) for a MIME type, or null. */
export function extensionForMime(mime: string): string | null {
  return table.getExtension(mime.toLowerCase().split(";")[0]!.trim());
}

/**
 * The `Content-Type` of a served file: its MIME type, with the charset for text (files are
 * written as UTF-8), or `application/octet-stream` when the extension is unknown.
 */
export function contentTypeOf(name: string): string {
  const type = mimeFromName(name) ?? "application/octet-stream";
  return type.startsWith("text/") || type === "application/json" ? `${type}; charset=utf-8` : type;
}

/** MIME type from the magic bytes of common image and audio formats, or null. */
export function sniffMime(data: Uint8Array): string | null {
  const ascii = (from: number, to: number) => String.fromCharCode(...data.subarray(from, to));
  if (data.length >= 8 && data[0] === 0x89 && ascii(1, 4) === "PNG") return "image/png";
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return "image/jpeg";
  if (data.length >= 6 && ascii(0, 4) === "GIF8") return "image/gif";
  if (data.length >= 12 && ascii(0, 4) === "RIFF") {
    const kind = ascii(8, 12);
    if (kind === "WEBP") return "image/webp";
    if (kind === "WAVE") return "audio/wav";
  }
  if (data.length >= 2 && ascii(0, 2) === "BM") return "image/bmp";
  if (data.length >= 4 && ascii(0, 4) === "OggS") return "audio/ogg";
  if (data.length >= 4 && ascii(0, 4) === "fLaC") return "audio/flac";
  if (data.length >= 3 && ascii(0, 3) === "ID3") return "audio/mpeg";
  if (data.length >= 2 && data[0] === 0xff && (data[1]! & 0xe0) === 0xe0) return "audio/mpeg";
  if (data.length >= 5 && ascii(0, 5) === "%PDF-") return "application/pdf";
  return null;
}
