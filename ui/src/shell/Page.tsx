import { useEffect, useState } from "preact/hooks";
import { ApiView } from "../api/ApiView.tsx";
import type { AppConfig } from "../config/AppConfig.ts";
import type { AppStore } from "../runtime/AppStore.ts";
import type { ToastStore } from "../runtime/ToastStore.ts";
import type { WidgetContext } from "../widgets/WidgetProps.ts";
import { LayoutChildren } from "./LayoutView.tsx";
import { Toasts } from "./Toasts.tsx";

/** Props of {@link Page}. */
export interface PageProps {
  readonly config: AppConfig;
  readonly store: AppStore;
  readonly toasts: ToastStore;
  readonly ctx: WidgetContext;
}

/** Gradio 5's `show_api`, or Gradio 6's `footer_links` without "api", hide the link. */
function showsApiLink(config: AppConfig): boolean {
  if (config.show_api === false) return false;
  const links = config["footer_links"];
  return !Array.isArray(links) || links.includes("api");
}

const isApiView = () => new URLSearchParams(location.search).get("view") === "api";

/**
 * The whole page: the app (its layout tree) or the "Use via API" view (`?view=api`), a footer
 * that switches between them without a reload, and the toasts (first: on a narrow screen they
 * sit in the flow above the app). Re-renders when the store changes.
 */
export function Page({ config, store, toasts, ctx }: PageProps) {
  const [, setVersion] = useState(0);
  const [api, setApi] = useState(isApiView);
  useEffect(() => store.subscribe(() => setVersion((v) => v + 1)), [store]);
  useEffect(() => {
    const onPop = () => setApi(isApiView());
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
  const navigate = (toApi: boolean) => (e: Event) => {
    e.preventDefault();
    const url = new URL(location.href);
    if (toApi) url.searchParams.set("view", "api");
    else url.searchParams.delete("view");
    history.pushState(null, "", url);
    setApi(toApi);
    scrollTo(0, 0);
  };
  return (
    <>
      <Toasts store={toasts} />
      <main class="app" hidden={api}>
        <LayoutChildren node={config.layout} store={store} ctx={ctx} />
      </main>
      {api && (
        <main class="app">
          <ApiView endpoints={ctx.endpoints} onBack={navigate(false)} />
        </main>
      )}
      <footer class="footer">
        {showsApiLink(config) && !api && (
          <a href="?view=api" onClick={navigate(true)}>
            Use via API
          </a>
        )}
        <span>Built with Usher</span>
      </footer>
    </>
  );
}
