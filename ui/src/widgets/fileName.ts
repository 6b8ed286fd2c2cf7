import type { FileData } from "../config/AppConfig.ts";

/** The name to show for a file: its original name, else the last part of its path or URL. */
export function fileName(file: FileData): string {
  if (typeof file.orig_name === "string" && file.orig_name !== "") return file.orig_name;
  const from = file.path || file.url || "file";
  return decodeURIComponent(from.split(/[\\/]/).pop() ?? "file");
}

/** "1.2 MB" */
export function formatSize(bytes: number | null | undefined): string {
  if (typeof bytes !== "number" || !Number.isFinite(bytes)) return "";
  const units = ["B", "KB", "MB", "GB"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
