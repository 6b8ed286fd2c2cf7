import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Image, Interface, Slider, Textbox } from "../../src/app/index.ts";
import { isUsherError } from "../../src/errors.ts";
import { CONFIG_CTX, fakeContext, NO_FILES_ENV } from "./helpers.ts";

type Entry = Record<string, any>;

function greeter() {
  return new Interface({
    fn: (name: string, intensity: number) => "Hello " + name + "!".repeat(intensity),
    inputs: ["text", new Slider({ minimum: 1, maximum: 5 })],
    outputs: "text",
    title: "Greeter <3",
    description: "Says hello.",
    article: "Made with Usher.",
    examples: [
      ["Ada", 2],
      ["Alan", 1],
    ],
  });
}

describe("Interface config", () => {
  const app = greeter().build(NO_FILES_ENV);
  const config = app.config(CONFIG_CTX) as Entry;

  test("top-level fields a Gradio 5 client reads", () => {
    assert.equal(config["version"], "5.49.1");
    assert.equal(config["mode"], "interface");
    assert.equal(config["protocol"], "sse_v3");
    assert.equal(config["api_prefix"], "/gradio_api");
    assert.equal(config["root"], CONFIG_CTX.rootUrl);
    assert.equal(config["app_id"], 42);
    assert.equal(config["enable_queue"], true);
    assert.equal(config["connect_heartbeat"], false);
    assert.equal(config["title"], "Greeter <3");
    assert.equal(config["theme"], "default");
    assert.equal(config["space_id"], null);
    assert.equal(config["auth_required"], false);
    assert.deepEqual(config["pages"], [["", "Home", true]]);
    assert.equal(app.title, "Greeter <3");
  });

  test("layout: title, description, a row of input and output columns, examples, article", () => {
    const types = new Map((config["components"] as Entry[]).map((c) => [c["id"], c["type"]]));
    const layout = config["layout"] as Entry;
    assert.equal(layout["id"], 0);
    const top = (layout["children"] as Entry[]).map((c) => types.get(c["id"]));
    assert.deepEqual(top, ["markdown", "markdown", "row", "dataset", "markdown"]);
    const row = (layout["children"] as Entry[])[2]!;
    const [inCol, outCol] = row["children"] as Entry[];
    assert.deepEqual(
      (inCol!["children"] as Entry[]).map((c) => types.get(c["id"])),
      ["textbox", "slider", "row"],
    );
    assert.deepEqual(
      (outCol!["children"] as Entry[]).map((c) => types.get(c["id"])),
      ["textbox"],
    );
    const title = (config["components"] as Entry[])[0]!;
    assert.equal(title["props"]["value"], "<h1 style='text-align: center; margin-bottom: 1rem'>Greeter &#60;3</h1>");
    assert.deepEqual((config["page"] as Entry)[""]["layout"], layout);
  });

  test("labels: parameter names for inputs, 'output' for the output", () => {
    const byType = (t: string) => (config["components"] as Entry[]).filter((c) => c["type"] === t);
    assert.equal(byType("textbox")[0]!["props"]["label"], "name");
    assert.equal(byType("slider")[0]!["props"]["label"], "intensity");
    assert.equal(byType("textbox")[1]!["props"]["label"], "output");
  });

  test("component entries carry api info", () => {
    const slider = (config["components"] as Entry[]).find((c) => c["type"] === "slider")!;
    assert.equal(slider["skip_api"], false);
    assert.deepEqual(slider["api_info"], { type: "number", description: "numeric value between 1 and 5" });
    assert.equal(slider["example_inputs"], 1);
    assert.equal(typeof slider["component_class_id"], "string");
    assert.equal(slider["props"]["name"], "slider");
    const row = (config["components"] as Entry[]).find((c) => c["type"] === "row")!;
    assert.equal(row["skip_api"], true);
    assert.equal("api_info" in row, false);
  });

  test("predict: one dependency fired by the button and by Enter in the textbox", () => {
    const [predict, loadExample] = config["dependencies"] as Entry[];
    const ids = new Map(
      (config["components"] as Entry[]).map((c) => [c["type"] + ":" + (c["props"]["value"] ?? ""), c["id"]]),
    );
    const button = ids.get("button:Submit");
    const textbox = (config["components"] as Entry[]).find((c) => c["type"] === "textbox")!["id"];
    assert.deepEqual(predict!["targets"], [
      [button, "click"],
      [textbox, "submit"],
    ]);
    assert.equal(predict!["api_name"], "predict");
    assert.equal(predict!["queue"], true);
    assert.equal(predict!["backend_fn"], true);
    assert.equal(predict!["scroll_to_output"], true);
    assert.equal(predict!["api_visibility"], "public");
    assert.deepEqual(predict!["types"], { generator: false, cancel: false });
    assert.equal(predict!["inputs"].length, 2);
    assert.equal(predict!["outputs"].length, 1);
    assert.equal(loadExample!["api_name"], null);
    assert.equal(loadExample!["api_visibility"], "private");
    assert.equal(loadExample!["queue"], false);
  });

  test("queue flag follows the app: without queue() the client must POST /run", () => {
    const off = app.config({ ...CONFIG_CTX, queueEnabled: false }) as Entry;
    assert.equal(off["enable_queue"], false);
    assert.ok((off["dependencies"] as Entry[]).every((d) => d["queue"] === false));
  });

  test("examples: a dataset and a hidden endpoint that loads one", async () => {
    const dataset = (config["components"] as Entry[]).find((c) => c["type"] === "dataset")!;
    assert.deepEqual(dataset["props"]["samples"], [
      ["Ada", 2],
      ["Alan", 1],
    ]);
    assert.deepEqual(dataset["props"]["components"], ["textbox", "slider"]);
    assert.deepEqual(dataset["props"]["headers"], ["name", "intensity"]);
    const load = app.functions[1]!;
    const result = await load.invoke([[1]], fakeContext());
    assert.deepEqual(result, { kind: "values", outputs: [["Alan", 1]] });
    assert.deepEqual(
      Object.keys((app.apiInfo({ allEndpoints: true, queueEnabled: true }) as Entry)["named_endpoints"]),
      ["/predict"],
    );
  });

  test("invoking /predict", async () => {
    const result = await app.functions[0]!.invoke([["Ada", 3]], fakeContext());
    assert.deepEqual(result, { kind: "values", outputs: [["Hello Ada!!!"]] });
  });
});

describe("Interface options", () => {
  test("apiName, output-only interfaces, several outputs", () => {
    const demo = new Interface({ fn: () => ["a", "b"], outputs: [new Textbox(), "text"], apiName: "gen" });
    const config = demo.build(NO_FILES_ENV).config(CONFIG_CTX) as Entry;
    const labels = (config["components"] as Entry[])
      .filter((c) => c["type"] === "textbox")
      .map((c) => c["props"]["label"]);
    assert.deepEqual(labels, ["output 0", "output 1"]);
    assert.ok(
      (config["components"] as Entry[]).some((c) => c["type"] === "button" && c["props"]["value"] === "Generate"),
    );
    assert.equal((config["dependencies"] as Entry[])[0]!["api_name"], "gen");
  });

  test("a single-input interface accepts bare example values", () => {
    const demo = new Interface({
      fn: (x: string) => x,
      inputs: new Textbox({ label: "Text" }),
      outputs: "text",
      examples: ["a", "b"],
    });
    const dataset = (demo.build(NO_FILES_ENV).config(CONFIG_CTX) as Entry)["components"].find(
      (c: Entry) => c["type"] === "dataset",
    );
    assert.deepEqual(dataset["props"]["samples"], [["a"], ["b"]]);
  });

  test("bad examples, bad fn and generator batching are invalid options", () => {
    assert.throws(
      () => new Interface({ fn: (a: string) => a, inputs: ["text"], examples: [["a", "b"]] }),
      (e) => isUsherError(e, "INVALID_OPTIONS"),
    );
    assert.throws(
      () => new Interface({ fn: 3 } as never),
      (e) => isUsherError(e, "INVALID_OPTIONS"),
    );
    assert.throws(
      () =>
        new Interface({
          fn: async function* (xs: string[]) {
            yield [xs];
          },
          inputs: "text",
          outputs: "text",
          batch: true,
        }),
      (e) => isUsherError(e, "INVALID_OPTIONS") && /generator/.test(e.message),
    );
  });

  test("file examples go as FileData the page can show, and users may read them", () => {
    const demo = new Interface({
      fn: (f: unknown) => f,
      inputs: new Image(),
      outputs: "image",
      examples: ["/data/cat.png"],
    });
    const allowed: string[] = [];
    const env = { files: { ...NO_FILES_ENV.files, allow: (paths: readonly string[]) => allowed.push(...paths) } };
    const dataset = (demo.build(env).config(CONFIG_CTX) as Entry)["components"].find(
      (c: Entry) => c["type"] === "dataset",
    );
    assert.deepEqual(dataset["props"]["samples"], [
      [{ path: "/data/cat.png", orig_name: "cat.png", mime_type: "image/png", meta: { _type: "gradio.FileData" } }],
    ]);
    assert.deepEqual(allowed, ["/data/cat.png"]);
    const info = demo.build(env).apiInfo({ allEndpoints: false, queueEnabled: true }) as Entry;
    assert.equal(info["named_endpoints"]["/predict"]["parameters"][0]["example_input"]["path"], "/data/cat.png");
  });

  test("queue() validates and keeps the raw options; returns this", () => {
    const demo = new Interface({ fn: (x: string) => x, inputs: "text", outputs: "text" });
    assert.equal(demo.queueOptions, null);
    assert.equal(demo.queue({ concurrencyCount: 4, maxSize: 100, apiOpen: false }), demo);
    assert.deepEqual(demo.queueOptions, { concurrencyCount: 4, maxSize: 100, apiOpen: false });
    assert.throws(
      () => demo.queue({ concurrencyCount: 0 }),
      (e) => isUsherError(e, "INVALID_OPTIONS"),
    );
  });
});
