// Bundles the bench and Usher into a few ES modules that run on a machine with nothing but Node
// (the 16-core device machine: see bench/device/README.md), one per entry the bench runs or spawns.
// Children find their bundles through USHER_BENCH_BUNDLE (bench/servers/nodeChild.ts).
//
//   node bench/device/bundle.mjs [outDir]      # default .devbench
import { rmSync, statSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../../", import.meta.url));
const outdir = resolve(root, process.argv[2] ?? ".devbench");

/** Every entry a device run starts: the bench itself and each kind of child it spawns. */
const ENTRIES = [
  "bench/run.ts",
  "bench/cpuPerRequest.ts",
  "bench/redisPerEvent.ts",
  "bench/load/loopChild.ts",
  "bench/servers/clusterChild.ts",
  "bench/servers/floor.ts",
  "bench/servers/usher.ts",
];

/**
 * The bench's Usher servers load the built package (dist/) by a path they compute; in a bundle it
 * is Usher's source, bundled with the rest.
 */
const usherFromSource = {
  name: "usher-from-source",
  setup(b) {
    b.onLoad({ filter: /bench[\\/]servers[\\/]loadUsher\.ts$/ }, () => ({
      contents:
        'import * as Usher from "../../src/index.ts";\nimport * as UsherRedis from "../../src/redis.ts";\n' +
        'import * as UsherStores from "../../src/store/index.ts";\n' +
        "export async function loadUsher() { return Usher; }\nexport async function loadUsherRedis() { return UsherRedis; }\n" +
        "export async function loadUsherStores() { return UsherStores; }\n",
      loader: "ts",
      resolveDir: join(root, "bench/servers"),
    }));
  },
};

/**
 * Native modules cannot travel in a bundle, and the device runs none of the scenarios that use them
 * (onnxBatching): each becomes a module that says so when used.
 */
const NATIVE = ["onnxruntime-node", "sharp"];
const nativeLeftOut = {
  name: "native-left-out",
  setup(b) {
    const filter = new RegExp(`^(${NATIVE.join("|")})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: "native-left-out" }));
    b.onLoad({ filter: /.*/, namespace: "native-left-out" }, (args) => ({
      contents: `const fail = () => { throw new Error("${args.path} is not in the device bundle (bench/device/bundle.mjs)"); };
export default new Proxy(fail, { get: fail, apply: fail, construct: fail });`,
      loader: "js",
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ENTRIES,
  outdir,
  entryNames: "[name]",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  conditions: ["usher-source"],
  // CommonJS dependencies call require(); an ES module has none of its own.
  banner: {
    js: 'import { createRequire as __usherRequire } from "node:module"; const require = __usherRequire(import.meta.url);',
  },
  plugins: [usherFromSource, nativeLeftOut],
  logLevel: "warning",
});
const bytes = readdirSync(outdir).reduce((sum, f) => sum + statSync(join(outdir, f)).size, 0);
console.log(`bundled ${ENTRIES.length} entries into ${outdir} (${(bytes / 1e6).toFixed(1)} MB)`);
