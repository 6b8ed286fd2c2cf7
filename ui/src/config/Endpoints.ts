import type { FileData } from "./AppConfig.ts";

/**
 * Where the page sends its requests. Everything is relative to the page's own base URL (the
 * folder that holds `assets/`), so the page works unchanged under a root path behind a proxy:
 * the server rewrites the asset URLs in index.html, and the base follows them.
 */
export class Endpoints {
  /** Base URL ending in "/", e.g. "http://host/demo/". */
  readonly base: string;
  /** API prefix without trailing slash: "/gradio_api". */
  readonly prefix: string;

  constructor(base: string, prefix = "/gradio_api") {
    this.base = base.endsWith("/") ? base : `${base}/`;
    this.prefix = prefix.replace(/\/+$/, "");
  }

  /** The page base derived from the URL of a module under `assets/` (`import.meta.url` of the entry). */
  static fromAssetUrl(assetUrl: string): Endpoints {
    return new Endpoints(new URL("../", assetUrl).href);
  }

  /** The public root without a trailing slash, as Gradio's `config.root` writes it. */
  get root(): string {
    return this.base.slice(0, -1);
  }

  /** URL of the app-level route `path` (no prefix), e.g. "config". */
  app(path: string): string {
    return new URL(path.replace(/^\//, ""), this.base).href;
  }

  /** URL of an API route, e.g. api("queue/join") → ".../gradio_api/queue/join". */
  api(path: string): string {
    return `${this.root}${this.prefix}/${path.replace(/^\//, "")}`;
  }

  /** A WebSocket URL for an absolute server path such as "/gradio_api/queue/ws". */
  websocket(path: string, query: Record<string, string>): string {
    const url = new URL(`${this.root}${path.startsWith("/") ? path : `/${path}`}`);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url.href;
  }

  /**
   * Where the browser can fetch a file: its `url` when the server gave one, else the file route
   * for its server path (inputs the page uploaded carry only `path`).
   */
  fileUrl(file: FileData): string {
    if (typeof file.url === "string" && file.url !== "") return file.url;
    return this.api(`file=${file.path.split("/").map(encodeURIComponent).join("/")}`);
  }
}
