/** How often {@link waitFor} looks again, ms: a poll, never a wait that an assertion relies on. */
const POLL_MS = 5;

/**
 * Resolves once `condition` holds (returns true, or resolves to true), with the ms it took; rejects
 * with `what` when it still does not after `deadlineMs`. For tests across processes, sockets and
 * browsers, where no event says "now": they wait for the state they assert, however long it takes,
 * up to a deadline. A test of a delay measures it ("not before 200 ms") instead of sleeping around it.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  deadlineMs = 10_000,
  what = "the condition",
): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await condition()) return performance.now() - start;
    if (performance.now() - start > deadlineMs) throw new Error(`${what} did not hold within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
