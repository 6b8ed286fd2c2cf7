/**
 * Renders lines of text into a PNG with sharp (SVG text through librsvg and the system's fonts),
 * for the demos' examples and the tests: no downloaded or committed images needed.
 */
import sharp from "sharp";

/** How to render. */
export interface RenderTextOptions {
  /** Pixels. Default 32. */
  fontSize?: number;
  /** Turn the image upside down (for the orientation classifier). */
  rotate180?: boolean;
}

const escapeXml = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Black text on white, one line per entry, sized to fit; returns PNG bytes. */
export async function renderText(lines: string | readonly string[], options: RenderTextOptions = {}): Promise<Buffer> {
  const list = typeof lines === "string" ? [lines] : lines;
  const size = options.fontSize ?? 32;
  const lineHeight = Math.round(size * 1.5);
  // DejaVu Sans is about 0.6 em wide per character on average; leave a margin.
  const width = Math.ceil(Math.max(...list.map((l) => l.length)) * size * 0.62) + 2 * size;
  const height = list.length * lineHeight + size;
  const text = list
    .map((l, i) => `<text x="${size}" y="${size + i * lineHeight + Math.round(size * 0.75)}">${escapeXml(l)}</text>`)
    .join("");
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>` +
    `<g font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="${size}" fill="#000000">${text}</g></svg>`;
  const image = sharp(Buffer.from(svg));
  return (options.rotate180 === true ? image.rotate(180) : image).png().toBuffer();
}
