/**
 * The page's entry: reads the app's config, makes the tab's one queue connection, and renders.
 */
import { render } from "preact";
import type { AppConfig } from "./config/AppConfig.ts";
import { Endpoints } from "./config/Endpoints.ts";
import { AppRuntime } from "./runtime/AppRuntime.ts";
import { AppStore } from "./runtime/AppStore.ts";
import { reloadOnRestart } from "./runtime/reloadOnRestart.ts";
import { ToastStore } from "./runtime/ToastStore.ts";
import { Page } from "./shell/Page.tsx";
import { chooseTransport } from "./transport/chooseTransport.ts";
import { DirectTransport } from "./transport/DirectTransport.ts";
import { newSessionHash } from "./transport/Transport.ts";
import "./styles.css";

async function boot(root: HTMLElement): Promise<void> {
  // The entry module lives in assets/: its URL gives the app's base, whatever the root path.
  const base = Endpoints.fromAssetUrl(import.meta.url);
  const res = await fetch(base.app("config"), { credentials: "same-origin" });
  if (!res.ok) throw new Error(`Could not load the app's config (HTTP ${res.status}).`);
  const config = (await res.json()) as AppConfig;
  const endpoints = new Endpoints(base.base, config.api_prefix ?? "/gradio_api");
  reloadOnRestart(config, endpoints);
  const sessionHash = newSessionHash();
  const queue = chooseTransport(config, location.search, endpoints, sessionHash);
  const store = new AppStore(config.components);
  const toasts = new ToastStore();
  const runtime = new AppRuntime(config, store, toasts, { queue, direct: new DirectTransport(endpoints, sessionHash) });
  if (typeof config.title === "string" && config.title !== "") document.title = config.title;
  document.documentElement.dataset["transport"] = queue.kind;
  addEventListener("pagehide", () => queue.close());
  render(<Page config={config} store={store} toasts={toasts} ctx={{ endpoints, runtime, toasts }} />, root);
  runtime.start();
}

const root = document.getElementById("app");
if (root !== null) {
  boot(root).catch((err: unknown) => {
    root.textContent = err instanceof Error ? err.message : String(err);
    root.setAttribute("role", "alert");
  });
}
