/**
 * Child-process entry of one share of a {@link SplitLoop}: closed-loop users of the global indices
 * its spec (argv[2], {@link LoopShareSpec}) lists, run in rounds on the parent's word over the IPC
 * channel. Each round's records go back with their times on the wall clock (`timeOriginMs`, so
 * the parent can bring them onto its own) and this process's CPU over the window.
 */
import { ClosedLoop } from "./ClosedLoop.ts";
import { CpuMeter } from "./CpuMeter.ts";
import type { FromShare, LoopShareSpec, ToShare } from "./SplitLoop.ts";
import type { Transport } from "./Transport.ts";
import { transportFor } from "./transportFor.ts";

const spec = JSON.parse(process.argv[2] ?? "null") as LoopShareSpec;
const fronts: Transport[] = spec.urls.map((url) => transportFor(spec.protocol, url, spec));
const globalIndex = (local: number): number => spec.users[local] as number;
const transport: Transport = {
  name: fronts[0]?.name ?? spec.protocol,
  createUser: (local) => {
    const g = globalIndex(local);
    return (fronts[g % fronts.length] as Transport).createUser(g);
  },
};
const loop = new ClosedLoop(transport, {
  users: spec.users.length,
  input: (local, seq) => `u${globalIndex(local)}-${seq}`,
});

const send = (message: FromShare): void => {
  process.send?.(message);
};

process.on("message", (message: ToShare) => {
  if (message.kind === "close") {
    loop.close();
    process.disconnect();
    return;
  }
  const meter = new CpuMeter();
  loop.round(message.warmupMs, message.durationMs, meter).then(
    (run) => send({ kind: "round", run, timeOriginMs: performance.timeOrigin }),
    (err: unknown) => send({ kind: "error", message: err instanceof Error ? err.message : String(err) }),
  );
});
// The parent gone, so is this share.
process.on("disconnect", () => {
  loop.close();
  process.exit(0);
});
send({ kind: "ready" });
