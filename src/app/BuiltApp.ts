import { createHash } from "node:crypto";
import type { Block } from "../components/index.ts";
import { Component } from "../components/index.ts";
import { State } from "../components/index.ts";
import type { BuiltFunction } from "./BuiltFunction.ts";
import type { ApiEndpointParts } from "./buildApiInfo.ts";
import { buildApiInfo } from "./buildApiInfo.ts";
import type { Dependency } from "../components/index.ts";
import { layoutJson, type NumberedLayout } from "./numberLayout.ts";
import type { ConfigContext, ServedApp } from "./ServedApp.ts";
import type { SessionStateStore } from "./SessionState.ts";

/** The Gradio version the config claims: ≥ 3.30 so clients use named endpoints and sse_v3. */
export const GRADIO_VERSION = "5.49.1";

/** What a built app is made of. */
export interface BuiltAppParts {
  readonly title: string;
  readonly mode: "blocks" | "interface";
  readonly css: string | null;
  readonly js: string | null;
  readonly head: string | null;
  readonly fillHeight: boolean;
  readonly fillWidth: boolean;
  readonly layout: NumberedLayout;
  readonly functions: readonly BuiltFunction[];
  readonly endpoints: readonly ApiEndpointParts[];
  readonly state: SessionStateStore;
  /** File components' first example files: `/info` offers them as `example_input`. */
  readonly examples: ReadonlyMap<Component<unknown>, unknown>;
}

/**
 * A built Blocks or Interface: its functions, Gradio's config JSON and `/info`. Everything that
 * does not depend on the request is computed once here; `config()` adds the per-request fields.
 */
export class BuiltApp implements ServedApp {
  readonly functions: readonly BuiltFunction[];
  readonly title: string;
  readonly #parts: BuiltAppParts;
  readonly #components: readonly Record<string, unknown>[];
  readonly #dependencies: readonly Record<string, unknown>[];
  readonly #layout: Record<string, unknown>;
  readonly #connectHeartbeat: boolean;
  readonly #apiInfo = new Map<boolean, Record<string, unknown>>();

  constructor(parts: BuiltAppParts) {
    this.#parts = parts;
    this.functions = parts.functions;
    this.title = parts.title;
    const { blocks, idOf } = parts.layout;
    const id = (b: Block) => idOf.get(b)!;
    this.#components = blocks.slice(1).map((b) => componentConfig(b, id(b), id));
    this.#dependencies = parts.endpoints.map((e) => dependencyConfig(e, id));
    this.#layout = layoutJson(parts.layout.root);
    this.#connectHeartbeat = blocks.some((b) => b instanceof State);
  }

  config(ctx: ConfigContext): Record<string, unknown> {
    const p = this.#parts;
    const componentIds = this.#components.map((c) => c["id"]);
    const dependencies = this.#dependencies.map((d, i) => ({
      ...d,
      queue: this.functions[i]!.queue && ctx.queueEnabled,
    }));
    return {
      version: GRADIO_VERSION,
      api_prefix: ctx.apiPrefix,
      mode: p.mode,
      app_id: ctx.appId,
      dev_mode: ctx.devMode === true,
      vibe_mode: false,
      analytics_enabled: false,
      components: this.#components,
      css: p.css,
      connect_heartbeat: this.#connectHeartbeat,
      js: p.js,
      head: p.head,
      title: p.title,
      space_id: spaceId(),
      enable_queue: ctx.queueEnabled,
      show_error: ctx.showError,
      show_api: true,
      is_colab: false,
      max_file_size: ctx.maxFileSize,
      stylesheets: [],
      theme: "default",
      protocol: "sse_v3",
      body_css: {
        body_background_fill: "white",
        body_text_color: "#1f2937",
        body_background_fill_dark: "#0b0f19",
        body_text_color_dark: "#f3f4f6",
      },
      fill_height: p.fillHeight,
      fill_width: p.fillWidth,
      theme_hash: null,
      pwa: false,
      pages: [["", "Home", true]],
      page: {
        "": { layout: this.#layout, components: componentIds, dependencies: this.#dependencies.map((d) => d["id"]) },
      },
      current_page: "",
      mcp_server: false,
      i18n_translations: null,
      footer_links: ["api", "gradio", "settings"],
      layout: this.#layout,
      dependencies,
      root: ctx.rootUrl,
      username: null,
      auth_required: false,
    };
  }

  apiInfo(options: { readonly allEndpoints: boolean; readonly queueEnabled: boolean }): Record<string, unknown> {
    let info = this.#apiInfo.get(options.allEndpoints);
    if (info === undefined) {
      info = buildApiInfo(this.#parts.endpoints, options.allEndpoints, this.#parts.examples);
      this.#apiInfo.set(options.allEndpoints, info);
    }
    return info;
  }

  closeSession(sessionHash: string): void {
    this.#parts.state.delete(sessionHash);
  }
}

function spaceId(): string | null {
  const id = process.env["SPACE_ID"];
  return typeof id === "string" && id !== "" ? id : null;
}

/** A stable id per component class, like Gradio's (a hash of the class). */
function classId(type: string): string {
  return createHash("sha256").update(`usher.${type}`).digest("hex").slice(0, 32);
}

function dropNulls(props: Record<string, unknown>): Record<string, unknown> {
  // Gradio deletes None props from the config (utils.delete_none).
  return Object.fromEntries(Object.entries(props).filter(([, v]) => v !== null && v !== undefined));
}

function componentConfig(block: Block, id: number, idOf: (b: Block) => number): Record<string, unknown> {
  const isComponent = block instanceof Component;
  const skipApi = !isComponent || block.skipApi;
  const entry: Record<string, unknown> = {
    id,
    type: block.type,
    props: dropNulls(block.configProps(idOf)),
    skip_api: skipApi,
    component_class_id: classId(block.type),
    key: null,
  };
  if (isComponent && !skipApi) {
    entry["api_info"] = block.apiInfo();
    entry["api_info_as_input"] = block.apiInfoAsInput();
    entry["api_info_as_output"] = block.apiInfoAsOutput();
    entry["example_inputs"] = block.examplePayload();
  }
  return entry;
}

function dependencyConfig(e: ApiEndpointParts, idOf: (b: Block) => number): Record<string, unknown> {
  const dep: Dependency = e.dependency;
  const targets =
    dep.after !== null && dep.triggers.length === 0
      ? [[null, dep.after.onlyOnSuccess ? "success" : "then"]]
      : dep.triggers.map(([component, event]) => [idOf(component), event]);
  return {
    id: dep.fnIndex,
    targets,
    inputs: [...e.inputIds],
    outputs: [...e.outputIds],
    backend_fn: true,
    js: null,
    queue: dep.options.queue,
    api_name: e.apiName,
    api_description: dep.apiDescription === "" ? null : dep.apiDescription,
    scroll_to_output: dep.scrollToOutput,
    show_progress: dep.options.showProgress,
    show_progress_on: null,
    batch: dep.options.batch,
    max_batch_size: dep.options.maxBatchSize,
    cancels: [],
    types: { generator: dep.generator, cancel: false },
    collects_event_data: false,
    trigger_after: dep.after?.fnIndex ?? null,
    trigger_only_on_success: dep.after?.onlyOnSuccess ?? false,
    trigger_only_on_failure: false,
    trigger_mode: dep.triggerMode,
    show_api: dep.apiVisibility === "public",
    api_visibility: dep.apiVisibility,
    rendered_in: null,
    render_id: null,
    connection: "sse",
    time_limit: null,
    stream_every: 0.5,
    like_user_message: false,
    event_specific_args: null,
    js_implementation: null,
    component_prop_inputs: [],
  };
}
