/**
 * File names ↔ MIME types, and a sniff of the first bytes for outputs returned as raw bytes
 * (a model returns a PNG Buffer; the page needs `image/png` and a `.png` name to show it).
 */

const BY_EXTENSION: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  bmp: "image/bmp",
  svg: "image/svg+xml",
  avif: "image/avif",
  tif: "image/tiff",
  tiff: "image/tiff",
  ico: "image/x-icon",
  wav: "audio/wav",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  oga: "audio/ogg",
  flac: "audio/flac",
  m4a: "audio/mp4",
  aac: "audio/aac",
  opus: "audio/opus",
  weba: "audio/webm",
  mp4: "video/mp4",
  webm: "video/webm",
  mov: "video/quicktime",
  pdf: "application/pdf",
  json: "application/json",
  zip: "application/zip",
  gz: "application/gzip",
  txt: "text/plain",
  csv: "text/csv",
  md: "text/markdown",
  html: "text/html",
  htm: "text/html",
};

const EXTENSION_BY_MIME: Readonly<Record<string, string>> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/gif": "gif",
  "image/webp": "webp",
  "image/bmp": "bmp",
  "image/svg+xml": "svg",
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/mpeg": "mp3",
  "audio/ogg": "ogg",
  "audio/flac": "flac",
  "audio/webm": "weba",
  "video/mp4": "mp4",
  "application/pdf": "pdf",
  "application/json": "json",
  "text/plain": "txt",
};

/** MIME type of a file name by its extension, or null when unknown. */
export function mimeFromName(name: string): string | null {
  const dot = name.lastIndexOf(".");
  if (dot < 0) return null;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? null;
}

/** Usual extension (without the dot) for a MIME type, or null. */
export function extensionForMime(mime: string): string | null {
  return EXTENSION_BY_MIME[mime.toLowerCase().split(";")[0]!.trim()] ?? null;
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
