/**
 * The local TCP ports of the connections that given processes hold to a Redis port, from Linux's
 * /proc: each process's socket inodes (`/proc/<pid>/fd`), matched against `/proc/net/tcp{,6}`.
 * Redis names a client by its address and port (`CLIENT LIST`, MONITOR lines), so these ports
 * tell the bench's own servers' commands apart from other clients' on a shared Redis.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Ports of `pids`' TCP connections whose remote port is `redisPort`; empty off Linux. */
export function redisClientPorts(pids: readonly number[], redisPort: number): Set<number> {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not Linux
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m !== null) inodes.add(m[1] as string);
      } catch {
        // closed between the listing and the read
      }
    }
  }
  const ports = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // Fields: sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      const f = line.trim().split(/\s+/);
      const local = f[1];
      const remote = f[2];
      const inode = f[9];
      if (local === undefined || remote === undefined || inode === undefined || !inodes.has(inode)) continue;
      if (hexPort(remote) === redisPort) ports.add(hexPort(local));
    }
  }
  return ports;
}

/** The port of a /proc/net/tcp address ("0100007F:18EB" → 6379). */
function hexPort(address: string): number {
  return Number.parseInt(address.slice(address.lastIndexOf(":") + 1), 16);
}
