/**
 * Watches a folder tree for `usher --reload`: one non-recursive `fs.watch` per directory.
 *
 * Why not `fs.watch(root, { recursive: true })`: on Linux, Node 20 emulates it with a watch on
 * each file's inode, so once an editor or `sed -i` replaces a file (writes a new one and renames
 * it over the old), the watch stays on the dead inode and every later save goes unseen. A
 * directory's own watch reports its entries by name, whatever happens to their inodes: in-place
 * writes, renames over, deletes and creates alike. New subfolders get their own watch as they
 * appear; removed ones drop theirs.
 */
import { readdirSync, statSync, watch } from "node:fs";
import { join, relative, sep } from "node:path";

/** Folders never watched: dependencies, builds, version control. */
const IGNORED_DIRS = new Set(["node_modules", "dist"]);

/**
 * Whether a path (relative to the root) is ignored: inside node_modules or dist, or any part
 * starting with a dot (.git, editor swap and lock files such as .app.ts.swp and .#app.ts), or an
 * editor backup (app.ts~).
 */
export function isIgnored(relativePath) {
  const parts = relativePath.split(sep);
  return (
    parts.some((part) => IGNORED_DIRS.has(part) || (part.startsWith(".") && part !== "." && part !== "..")) ||
    relativePath.endsWith("~")
  );
}

/**
 * Starts watching `root` and every folder under it (but ignored ones); calls `onChange(path)`
 * with the path, relative to `root`, of each entry that changed, appeared or went away. A folder
 * that cannot be watched (no permission, the system's limit on watches reached) is reported once
 * through `onWarning` and skipped. Returns `close()`.
 */
export function watchTree(root, onChange, onWarning = (message) => console.error(message)) {
  /** Each watched folder's absolute path → its watcher. */
  const watchers = new Map();
  let closed = false;

  const unwatch = (dir) => {
    for (const [path, watcher] of watchers) {
      if (path === dir || path.startsWith(dir + sep)) {
        watcher.close();
        watchers.delete(path);
      }
    }
  };

  const add = (dir) => {
    if (closed || watchers.has(dir) || (dir !== root && isIgnored(relative(root, dir)))) return;
    let watcher;
    try {
      watcher = watch(dir, { persistent: true }, (_event, name) => {
        if (name !== null) seen(dir, String(name));
      });
    } catch (err) {
      onWarning(
        `usher: cannot watch ${relative(root, dir) || "."} (${err.code ?? err.message}); its changes will not reload`,
      );
      return;
    }
    // A watched folder that is deleted may report an error: the parent's event unwatches it.
    watcher.on("error", () => unwatch(dir));
    watchers.set(dir, watcher);
    let entries = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      // Gone again already: the parent's event cleans up.
    }
    for (const entry of entries) if (entry.isDirectory()) add(join(dir, entry.name));
  };

  const seen = (dir, name) => {
    const path = join(dir, name);
    const rel = relative(root, path);
    if (isIgnored(rel)) return;
    // A new folder needs its own watch; a folder that went away (or became a file) loses its.
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      // It went away.
    }
    if (isDir) add(path);
    else unwatch(path);
    onChange(rel);
  };

  add(root);
  return {
    close() {
      closed = true;
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
