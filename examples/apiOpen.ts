/**
 * The guide's `api_open=False`: programmatic users cannot skip the queue. The direct POST routes
 * (`/gradio_api/run/predict`, `/api/predict`) refuse queued functions; the page, @gradio/client
 * and `/gradio_api/call/predict` still work, in line with everyone else.
 *
 * Run: npm run example examples/apiOpen.ts
 * Then: curl -s -X POST http://127.0.0.1:7860/gradio_api/run/predict -H 'content-type: application/json' -d '{"data":["hi"]}'
 *       (refused), while /gradio_api/call/predict queues it.
 */
import { Interface } from "usher-ml";

const demo = new Interface({
  fn: (text: string) => `Hello, ${text}!`,
  inputs: "text",
  outputs: "text",
  title: "apiOpen: false",
  description: "The API works only through the queue.",
  examples: [["queue"]],
});
demo.queue({ concurrencyCount: 2, apiOpen: false });

export default demo;
