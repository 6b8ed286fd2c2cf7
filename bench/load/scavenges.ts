/** Reading V8's `--trace-gc-nvp` output: one name → number map per scavenge, and a field's mean. */

/** The `--trace-gc-nvp` lines of scavenges in `text`, as name → number maps, in order. */
export function scavenges(text: string): Map<string, number>[] {
  const out: Map<string, number>[] = [];
  for (const line of text.split("\n")) {
    if (!line.includes(" gc=s ")) continue;
    const fields = new Map<string, number>();
    for (const m of line.matchAll(/(\w[\w.]*)=([\d.]+)/g)) fields.set(m[1] as string, Number(m[2]));
    out.push(fields);
  }
  return out;
}

/** The mean of field `name` over `gcs` (0 where a line lacks it). */
export function meanOf(gcs: readonly Map<string, number>[], name: string): number {
  return gcs.reduce((a, g) => a + (g.get(name) ?? 0), 0) / Math.max(1, gcs.length);
}
