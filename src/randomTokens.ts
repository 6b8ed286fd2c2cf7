import { randomBytes } from "node:crypto";

/**
 * A source of random tokens of `bytes` bytes each (from the CSPRNG), as `encoding` text. Tokens are
 * drawn `perDraw` at a time: one CSPRNG call and one encoding per draw, then a slice per token,
 * where a draw and an encoding per token cost microseconds on paths taken per prediction.
 */
export function randomTokens(bytes: number, encoding: "hex" | "base64url", perDraw: number): () => string {
  // base64url turns each 3 bytes into 4 characters: token boundaries must fall on those groups.
  if (encoding === "base64url" && bytes % 3 !== 0) throw new RangeError("base64url tokens need a multiple of 3 bytes");
  const chars = encoding === "hex" ? bytes * 2 : (bytes / 3) * 4;
  let text = "";
  let at = 0;
  return () => {
    if (at === text.length) {
      text = randomBytes(bytes * perDraw).toString(encoding);
      at = 0;
    }
    const token = text.slice(at, at + chars);
    at += chars;
    return token;
  };
}
