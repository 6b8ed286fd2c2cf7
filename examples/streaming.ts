/**
 * Streaming outputs: an `async function*` yields the output so far, and each yield reaches the
 * page (and @gradio/client's `submit`) as it comes; the wire carries only the difference. Stopping
 * the stream (cancel, disconnect) ends the generator, so `finally` blocks run.
 *
 * Run: npm run example examples/streaming.ts
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Interface, type EventContext } from "usher-ml";

const demo = new Interface({
  fn: async function* typewriter(text: string, ctx: EventContext) {
    let shown = "";
    for (const ch of text) {
      if (ctx.signal.aborted) return;
      await sleep(50);
      shown += ch;
      yield shown;
    }
  },
  inputs: "text",
  outputs: "text",
  title: "Streaming",
  description: "Types your text back, one character every 50 ms.",
  examples: [["Every yield is sent as it comes."]],
});
demo.queue({ concurrencyCount: 8 });

export default demo;
