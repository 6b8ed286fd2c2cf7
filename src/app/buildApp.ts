import type { Block } from "../components/index.ts";
import type { Component } from "../components/index.ts";
import { Container } from "../components/index.ts";
import { Dataset } from "../components/index.ts";
import { State } from "../components/index.ts";
import { UsherError } from "../errors.ts";
import { defaultApiName, uniqueApiNames } from "./apiNames.ts";
import type { ApiEndpointParts } from "./buildApiInfo.ts";
import { BuiltApp } from "./BuiltApp.ts";
import { BuiltFunction } from "./BuiltFunction.ts";
import type { Dependency } from "../components/index.ts";
import { numberLayout } from "./numberLayout.ts";
import { parameterNames } from "./parameterNames.ts";
import type { RuntimeEnv } from "./ServedApp.ts";
import { SessionState } from "./SessionState.ts";

/** What {@link buildApp} reads from a Blocks. */
export interface AppSource {
  readonly root: Container;
  readonly dependencies: readonly Dependency[];
  readonly title: string;
  readonly mode: "blocks" | "interface";
  readonly css: string | null;
  readonly js: string | null;
  readonly head: string | null;
  readonly fillHeight: boolean;
  readonly fillWidth: boolean;
}

// Names the clients reserve in keyword calls (Gradio avoids them as parameter names too).
const RESERVED = new Set(["api_name", "fn_index", "result_callbacks"]);

/** Builds a Blocks into a {@link BuiltApp}: numbers the layout, names endpoints and parameters. */
export function buildApp(source: AppSource, env: RuntimeEnv): BuiltApp {
  const extra = unplacedStates(source);
  const layout = numberLayout(source.root, extra);
  const id = (c: Block) => layout.idOf.get(c)!;
  const apiNames = uniqueApiNames(
    source.dependencies.map((d) => (d.options.apiName === false ? null : (d.options.apiName ?? defaultApiName(d.fn)))),
  );
  const state = env.state ?? new SessionState();
  const endpoints: ApiEndpointParts[] = source.dependencies.map((dependency, i) => ({
    dependency,
    apiName: apiNames[i] ?? null,
    inputIds: dependency.inputs.map(id),
    outputIds: dependency.outputs.map(id),
    parameterNames: namesFor(dependency),
  }));
  const functions = endpoints.map((e) => new BuiltFunction({ ...e, state, files: env.files, workers: env.workers }));
  const datasets = layout.blocks.filter((b): b is Dataset => b instanceof Dataset);
  // The page shows example files as thumbnails and players, and API snippets send them.
  env.files.allow(datasets.flatMap((d) => d.exampleFiles()));
  return new BuiltApp({ ...source, layout, functions, endpoints, state, examples: exampleFiles(datasets) });
}

/** Each file component's first example file (FileData), for `/info`'s `example_input`. */
function exampleFiles(datasets: readonly Dataset[]): Map<Component<unknown>, unknown> {
  const out = new Map<Component<unknown>, unknown>();
  for (const d of datasets) {
    for (const c of d.components) {
      const file = out.has(c) ? null : d.firstExampleFile(c);
      if (file !== null) out.set(c, file);
    }
  }
  return out;
}

/**
 * Checks that every component an event uses is placed in this app, and returns the States that
 * are not placed anywhere (they need no place on the page, so they are numbered after the tree).
 */
function unplacedStates(source: AppSource): State[] {
  const extra = new Set<State>();
  const check = (c: Component<unknown>, dep: Dependency) => {
    if (source.root.contains(c)) return;
    if (c instanceof State && c.parent === null) {
      extra.add(c);
      return;
    }
    const where = c.parent === null ? "is not placed in its layout" : "belongs to another app";
    throw new UsherError(
      "INVALID_OPTIONS",
      `${c.describe()} is used by event #${dep.fnIndex} of this app but ${where}: create it inside the layout callback, or place it with render() or add().`,
    );
  };
  for (const dep of source.dependencies) {
    for (const c of [...dep.inputs, ...dep.outputs, ...dep.triggers.map((t) => t[0])]) check(c, dep);
  }
  const walk = (block: Block) => {
    if (block instanceof Dataset) {
      for (const c of block.components) {
        if (!source.root.contains(c))
          throw new UsherError(
            "INVALID_OPTIONS",
            `${c.describe()} is filled by a Dataset but is not placed in this app.`,
          );
      }
    }
    if (block instanceof Container) for (const child of block.children) walk(child);
  };
  walk(source.root);
  return [...extra];
}

/**
 * `/info` names of a dependency's inputs: the function's own parameter names where they can be
 * read, else the component's label in snake_case, else `param_<i>`; unique within the endpoint.
 */
function namesFor(dep: Dependency): string[] {
  const fromSource = parameterNames(dep.fn);
  const taken = new Set<string>();
  return dep.inputs.map((c, i) => {
    const js = fromSource[i];
    let name = js !== null && js !== undefined && !RESERVED.has(js) ? js : (snakeCase(c.label) ?? `param_${i}`);
    if (RESERVED.has(name)) name = `param_${i}`;
    const base = name;
    for (let n = 1; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    return name;
  });
}

function snakeCase(label: string | undefined): string | null {
  if (label === undefined) return null;
  const s = label
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (s === "") return null;
  return /^[0-9]/.test(s) ? `_${s}` : s;
}
