/**
 * The layering the build enforces (`npm run depcheck`, part of `npm test`). docs/architecture.md
 * explains each layer; this file is the source of truth for which folder may import which.
 *
 * Type-only imports count: a contract is a dependency even when it compiles away.
 */

/** A folder of src/, as a path regex. */
const dir = (name) => `^src/${name}/`;

/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment:
        "Import cycles make load order matter and hide which module owns what. Type-only cycles are " +
        "erased at run time and are left to the folder rule. One exception: the page's layout renderer " +
        "is recursive by nature (a tab holds layouts, a layout holds tabs).",
      from: { pathNot: "^ui/src/shell/(LayoutView|TabsView)\\.tsx$" },
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "no-folder-cycle",
      severity: "error",
      comment: "Two folders that import each other are one layer in two places.",
      scope: "folder",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "engine-is-transport-free",
      severity: "error",
      comment:
        "The queue engine (src/queue/) owns its contract (QueueStore); it knows no transport, no app " +
        "model, no concrete store and no worker threads: whoever composes the server hands them in.",
      from: { path: dir("queue") },
      to: {
        path: [
          dir("server"),
          dir("protocol"),
          dir("app"),
          dir("components"),
          dir("store"),
          dir("runtime"),
          dir("compose"),
        ],
      },
    },
    {
      name: "runtime-runs-functions-only",
      severity: "error",
      comment:
        "The runtime (src/runtime/) runs event functions, in process or in worker threads, against the " +
        "engine's types; it knows no door, store or app model.",
      from: { path: dir("runtime") },
      to: { path: [dir("server"), dir("protocol"), dir("app"), dir("components"), dir("store"), dir("compose")] },
    },
    {
      name: "protocol-is-a-leaf",
      severity: "error",
      comment: "The wire protocol (src/protocol/) is shared with the page: it depends on no server code.",
      from: { path: dir("protocol") },
      to: {
        path: [
          dir("server"),
          dir("queue"),
          dir("app"),
          dir("store"),
          dir("runtime"),
          dir("components"),
          dir("compose"),
        ],
      },
    },
    {
      name: "page-imports-only-protocol",
      severity: "error",
      comment: "The page (ui/src/) is built for the browser: of the server's sources it may use only src/protocol/.",
      from: { path: "^ui/src/" },
      to: { path: "^src/", pathNot: dir("protocol") },
    },
    {
      name: "store-knows-no-app",
      severity: "error",
      comment: "A store persists what the engine and the server hand it; it knows no component, route or app model.",
      from: { path: dir("store") },
      to: { path: [dir("components"), dir("server"), dir("app"), dir("compose")] },
    },
    {
      name: "app-model-is-transport-free",
      severity: "error",
      comment:
        "The app model (app/, components/) describes a demo; serving it is composition's job, so " +
        "importing a demo does not load Fastify, ws or Redis.",
      from: { path: [dir("app"), dir("components")] },
      to: { path: [dir("server"), dir("compose")] },
    },
    {
      name: "app-model-uses-store-contracts-only",
      severity: "error",
      comment:
        "The app model reads and writes files and State through the store layer's contracts " +
        "(type-only imports); which store serves them is the composition root's choice.",
      from: { path: [dir("app"), dir("components")] },
      to: { path: dir("store"), dependencyTypesNot: ["type-only"] },
    },
    {
      name: "only-composition-imports-doors",
      severity: "error",
      comment: "The server's doors (src/server/) are wired by the composition root, not by the layers under it.",
      from: { path: "^src/", pathNot: [dir("server"), dir("compose"), "^src/index\\.ts$"] },
      to: { path: dir("server") },
    },
    {
      name: "root-loads-no-redis",
      severity: "error",
      comment:
        "The package's root entry (src/index.ts) never reaches the Redis store or ioredis: an app without " +
        "Redis must not load it. Redis is the subpath usher-ml/redis (src/redis.ts).",
      from: { path: "^src/index\\.ts$" },
      to: { path: ["^src/store/[Rr]edis", "(^|/)node_modules/ioredis/"], reachable: true },
    },
    {
      name: "through-the-face",
      severity: "error",
      comment:
        "Another folder is used through its face (its index.ts), so a folder can rearrange its files " +
        "without touching its users.",
      from: { path: "^src/([^/]+)/" },
      to: {
        path: "^src/([^/]+)/",
        pathNot: ["^src/$1/", "^src/[^/]+/index\\.ts$"],
      },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: ["node_modules", "^dist/", "^ui/dist/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["usher-source", "import", "require", "node", "default", "types"],
      extensions: [".ts", ".tsx", ".js", ".mjs", ".cjs"],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
