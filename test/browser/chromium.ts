/**
 * Browser tests drive Debian's Chromium (`/usr/bin/chromium`) with playwright-core: no browser
 * download, no network beyond the app under test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/** Where .ci/run installs Chromium (apt package `chromium`). */
export const CHROMIUM = "/usr/bin/chromium";

/** Chromium switches: headless, no sandbox (CI runs as root), and no calls home of any kind. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A browser context with requests outside the app refused and recorded. */
export interface TestBrowser {
  readonly context: BrowserContext;
  /** URLs the page tried to reach outside 127.0.0.1 (each was refused). */
  readonly external: string[];
  newPage(): Promise<Page>;
}

/**
 * Launches Chromium with a fresh user-data dir (one persistent context: every page shares its
 * connection pool, as tabs of one browser window do) and closes it when the test file ends.
 * Builds the page first if ui/dist is missing or stale.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  // A plain .mjs script (it runs before tsx is loaded): import it untyped.
  const script: string = "../../scripts/ensure-ui.mjs";
  const { ensureUi } = (await import(script)) as { ensureUi(): boolean };
  ensureUi();
  const userDataDir = mkdtempSync(join(tmpdir(), "usher-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1200, height: 800 },
  });
  const external: string[] = [];
  await context.route(
    (url) => !["127.0.0.1", "localhost"].includes(url.hostname) && url.protocol !== "data:" && url.protocol !== "blob:",
    (route) => {
      external.push(route.request().url());
      void route.abort("blockedbyclient");
    },
  );
  after(async () => {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });
  return { context, external, newPage: () => context.newPage() };
}
