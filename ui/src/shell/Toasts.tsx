import { useEffect, useState } from "preact/hooks";
import type { ToastStore } from "../runtime/ToastStore.ts";

/**
 * Toasts in a corner: errors are alerts (read out at once), the rest are status messages. Each
 * has a Dismiss button.
 */
export function Toasts({ store }: { store: ToastStore }) {
  const [, setVersion] = useState(0);
  useEffect(() => store.subscribe(() => setVersion((v) => v + 1)), [store]);
  return (
    <div class="toasts" role="region" aria-label="Notifications">
      {store.toasts.map((t) => (
        <div
          key={t.id}
          class={`toast ${t.level}`}
          role={t.level === "error" ? "alert" : "status"}
          data-testid={`toast-${t.level}`}
        >
          <div class="toast-body">
            <strong class="toast-title">{t.title}</strong>
            <div class="toast-message">{t.message}</div>
          </div>
          <button
            type="button"
            class="toast-close"
            aria-label={`Dismiss: ${t.title}`}
            onClick={() => store.dismiss(t.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
