/**
 * Builds the browser page (ui/) into ui/dist: one HTML file and content-hashed assets under
 * assets/, which the server serves with immutable cache headers.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  // Relative asset URLs: the server rewrites them for a root path, and the page works behind a proxy.
  base: "./",
  // Preact's automatic JSX runtime (no @preact/preset-vite: it would pull Babel in for nothing).
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2022",
    // Every browser that runs ES2022 modules supports modulepreload: skip the polyfill's bytes.
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
  logLevel: "warn",
});
