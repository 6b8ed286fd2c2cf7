// ESLint runs for the rules that need the type checker (promises nobody awaits or catches). Biome's
// noFloatingPromises infers types on its own: tried here, it missed promises from Node's modules
// (node:timers/promises, node:fs/promises) and `new Promise(...)`, and Biome has no
// no-misused-promises. Biome formats (biome.json). tsc already reports unused names
// (noUnusedLocals/Parameters), so no lint rule repeats it. Every rule here catches a bug; none is style.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** node:test's test() and describe() return promises the runner itself awaits. */
const nodeTestCalls = {
  from: "package",
  package: "node:test",
  name: ["test", "it", "describe", "suite", "before", "after", "beforeEach", "afterEach"],
};

/** The globals Node's own scripts (bin/, scripts/) use; tsc does not check the .mjs files. */
const nodeGlobals = Object.fromEntries(
  ["process", "console", "URL", "Buffer", "setTimeout", "clearTimeout", "setInterval", "clearInterval"].map((name) => [
    name,
    "readonly",
  ]),
);

export default tseslint.config(
  // .gitignore's folders: ESLint does not read it.
  {
    ignores: [
      "**/node_modules/**",
      "dist/**",
      "ui/dist/**",
      "bench/results/**",
      ".usher-tmp/**",
      ".scratch/**",
      ".devbench/**",
      ".devkit/**",
      ".tmp-dist/**",
    ],
  },
  js.configs.recommended,
  { files: ["**/*.mjs", "**/*.js"], languageOptions: { globals: nodeGlobals } },
  {
    files: ["**/*.ts", "**/*.tsx"],
    extends: [tseslint.configs.eslintRecommended],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: {
      // tsc's noUnusedLocals/noUnusedParameters report these, with `_` for a deliberate omission.
      "no-unused-vars": "off",
      "@typescript-eslint/no-floating-promises": ["error", { allowForKnownSafeCalls: [nodeTestCalls] }],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-implied-eval": "error",
    },
  },
);
