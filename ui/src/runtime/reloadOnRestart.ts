/**
 * Under `usher --reload` (the config's `dev_mode`): the page reloads itself once the server that
 * served it has been replaced, as in Gradio's reload mode. The server's `dev/reload` stream names
 * the process that serves (its `app_id`) and drops when that process stops; the page connects
 * again until a server answers, and reloads when the id is not the one in its config.
 */
import type { AppConfig } from "../config/AppConfig.ts";
import type { Endpoints } from "../config/Endpoints.ts";

/** Wait between tries while no server answers (a restart takes a second or two). */
const RETRY_MS = 500;

/** Starts listening when the config says `dev_mode`; does nothing otherwise. */
export function reloadOnRestart(config: AppConfig, endpoints: Endpoints, reload = () => location.reload()): void {
  if (config["dev_mode"] !== true) return;
  const servedBy = String(config["app_id"]);
  const connect = (): void => {
    const source = new EventSource(endpoints.api("dev/reload"));
    source.onmessage = (event: MessageEvent<string>) => {
      if (event.data === servedBy) return;
      source.close();
      reload();
    };
    // EventSource retries a dropped stream by itself, but gives up for good on an answer that is
    // not a stream (the old server's 503 while it closes): this retries in every case.
    source.onerror = () => {
      source.close();
      setTimeout(connect, RETRY_MS);
    };
  };
  connect();
}
