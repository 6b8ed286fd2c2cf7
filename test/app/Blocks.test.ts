import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Accordion, Blocks, Button, Column, Markdown, on, Row, State, Tab, Textbox } from "../../src/app/index.ts";
import { isUsherError } from "../../src/errors.ts";
import { CONFIG_CTX, NO_FILES_ENV } from "./helpers.ts";

type Entry = Record<string, any>;

function greet(name: string) {
  return `Hello ${name}`;
}

function sample() {
  let name!: Textbox, out!: Textbox, btn!: Button;
  const app = new Blocks({ title: "Demo" }, () => {
    new Markdown("# Demo"); // 1
    new Row(() => {
      // 2
      name = new Textbox({ label: "Your Name" }); // 3
      new Column(() => {
        // 4
        out = new Textbox({ label: "Greeting" }); // 5
      });
    });
    new Tab("One", () => {
      btn = new Button("Go"); // tabs 6, tab 7, button 8
    });
    new Tab("Two", () => {
      new Accordion({ label: "More", open: false }); // tab 9, accordion 10
    });
    btn.click({ fn: greet, inputs: [name], outputs: [out] });
    name.submit({ fn: greet, inputs: [name], outputs: out });
    name.change({ fn: (x: string) => x, inputs: name, outputs: out, apiName: false });
  });
  return { app, name, out, btn };
}

describe("Blocks config", () => {
  const { app } = sample();
  const config = app.build(NO_FILES_ENV).config(CONFIG_CTX) as Entry;
  const components = config["components"] as Entry[];

  test("ids: root layout 0, then depth-first from 1; adjacent tabs share a Tabs bar", () => {
    assert.deepEqual(
      components.map((c) => [c["id"], c["type"]]),
      [
        [1, "markdown"],
        [2, "row"],
        [3, "textbox"],
        [4, "column"],
        [5, "textbox"],
        [6, "tabs"],
        [7, "tabitem"],
        [8, "button"],
        [9, "tabitem"],
        [10, "accordion"],
      ],
    );
    assert.deepEqual(config["layout"], {
      id: 0,
      children: [
        { id: 1 },
        { id: 2, children: [{ id: 3 }, { id: 4, children: [{ id: 5 }] }] },
        {
          id: 6,
          children: [
            { id: 7, children: [{ id: 8 }] },
            { id: 9, children: [{ id: 10, children: [] }] },
          ],
        },
      ],
    });
    assert.equal(config["mode"], "blocks");
    assert.equal(config["title"], "Demo");
  });

  test("layout props", () => {
    const byId = new Map(components.map((c) => [c["id"], c["props"]]));
    assert.equal(byId.get(7)["label"], "One");
    assert.equal(byId.get(10)["open"], false);
    assert.equal(byId.get(10)["label"], "More");
    assert.equal(byId.get(2)["variant"], "default");
    assert.equal(byId.get(3)["elem_id"], undefined); // nulls are dropped, as Gradio does
  });

  test("dependencies: targets, inputs, outputs, api names", () => {
    const deps = config["dependencies"] as Entry[];
    assert.deepEqual(
      deps.map((d) => [d["id"], d["targets"], d["inputs"], d["outputs"], d["api_name"], d["api_visibility"]]),
      [
        [0, [[8, "click"]], [3], [5], "greet", "public"],
        [1, [[3, "submit"]], [3], [5], "greet_1", "public"],
        [2, [[3, "change"]], [3], [5], null, "private"],
      ],
    );
    assert.deepEqual(config["page"][""]["dependencies"], [0, 1, 2]);
  });

  test("/info lists named public endpoints with parameter names from the function", () => {
    const info = app.build(NO_FILES_ENV).apiInfo({ allEndpoints: false, queueEnabled: true }) as Entry;
    assert.deepEqual(Object.keys(info["named_endpoints"]), ["/greet", "/greet_1"]);
    assert.deepEqual(info["unnamed_endpoints"], {});
    assert.deepEqual(info["named_endpoints"]["/greet"], {
      parameters: [
        {
          label: "Your Name",
          parameter_name: "name",
          parameter_has_default: true,
          parameter_default: "",
          type: { type: "string" },
          python_type: { type: "str", description: "" },
          component: "Textbox",
          example_input: "Hello!!",
        },
      ],
      returns: [
        {
          label: "Greeting",
          type: { type: "string" },
          python_type: { type: "str", description: "" },
          component: "Textbox",
        },
      ],
      api_visibility: "public",
      show_api: true,
      description: "",
    });
  });
});

describe("Blocks listeners", () => {
  test("then() and success() chain after a dependency", () => {
    const app = new Blocks({}, () => {
      const t = new Textbox();
      t.submit({ fn: (x: string) => x, inputs: [t], outputs: [t], apiName: "first" })
        .then({ fn: (x: string) => x, inputs: [t], outputs: [t], apiName: "second" })
        .success({ fn: () => "done", outputs: [t], apiName: "third", queue: false, apiVisibility: "undocumented" });
    });
    const built = app.build(NO_FILES_ENV);
    const deps = (built.config(CONFIG_CTX) as Entry)["dependencies"] as Entry[];
    assert.deepEqual(deps[1]!["targets"], [[null, "then"]]);
    assert.equal(deps[1]!["trigger_after"], 0);
    assert.equal(deps[1]!["trigger_only_on_success"], false);
    assert.deepEqual(deps[2]!["targets"], [[null, "success"]]);
    assert.equal(deps[2]!["trigger_after"], 1);
    assert.equal(deps[2]!["trigger_only_on_success"], true);
    assert.equal(deps[2]!["queue"], false);
    assert.deepEqual(
      Object.keys((built.apiInfo({ allEndpoints: false, queueEnabled: true }) as Entry)["named_endpoints"]),
      ["/first", "/second"],
    );
    assert.deepEqual(
      Object.keys((built.apiInfo({ allEndpoints: true, queueEnabled: true }) as Entry)["named_endpoints"]),
      ["/first", "/second", "/third"],
    );
  });

  test("on() joins several triggers into one endpoint", () => {
    const app = new Blocks({}, () => {
      const t = new Textbox();
      const b = new Button();
      on(
        [
          [b, "click"],
          [t, "submit"],
        ],
        { fn: greet, inputs: [t], outputs: [t] },
      );
    });
    const deps = (app.build(NO_FILES_ENV).config(CONFIG_CTX) as Entry)["dependencies"] as Entry[];
    assert.deepEqual(deps[0]!["targets"], [
      [2, "click"],
      [1, "submit"],
    ]);
  });

  test("default api names: the function's name, 'predict' for anonymous ones", () => {
    const app = new Blocks({}, () => {
      const t = new Textbox();
      t.change({ fn: (x: string) => x, inputs: [t] });
      t.change({ fn: greet.bind(null), inputs: [t] });
      t.change({ fn: (x: string) => x, inputs: [t], apiName: "predict" });
    });
    const deps = (app.build(NO_FILES_ENV).config(CONFIG_CTX) as Entry)["dependencies"] as Entry[];
    assert.deepEqual(
      deps.map((d) => d["api_name"]),
      ["predict", "greet", "predict_1"],
    );
  });

  test("State: heartbeat on, left out of /info, unplaced States allowed", () => {
    const app = new Blocks({}, () => {
      const t = new Textbox({ label: "Message" });
      const history = new State<string[]>([]);
      t.submit({
        fn: (m: string, h: string[]) => [m, [...h, m]],
        inputs: [t, history],
        outputs: [t, history],
        apiName: "chat",
      });
    });
    const loose = new State(0);
    app.layout(() => {
      const b = new Button();
      b.click({ fn: (n: number) => n + 1, inputs: [loose], outputs: [loose], apiName: "count" });
    });
    const built = app.build(NO_FILES_ENV);
    const config = built.config(CONFIG_CTX) as Entry;
    assert.equal(config["connect_heartbeat"], true);
    const state = (config["components"] as Entry[]).find((c) => c["type"] === "state")!;
    assert.equal(state["skip_api"], true);
    assert.deepEqual(state["props"], { name: "state" });
    assert.equal((config["components"] as Entry[]).at(-1)!["type"], "state"); // the unplaced one, after the tree
    const chat = (built.apiInfo({ allEndpoints: false, queueEnabled: true }) as Entry)["named_endpoints"]["/chat"];
    assert.equal(chat["parameters"].length, 1);
    assert.equal(chat["parameters"][0]["parameter_name"], "m");
    assert.equal(chat["returns"].length, 1);
    const count = (config["dependencies"] as Entry[])[1]!;
    assert.equal(count["inputs"].length, 1);
  });

  test("components used by events must be placed in the app", () => {
    const stray = new Textbox({ label: "Stray" });
    const app = new Blocks({}, () => {
      new Button().click({ fn: greet, inputs: [stray] });
    });
    assert.throws(
      () => app.build(NO_FILES_ENV),
      (e) => isUsherError(e, "INVALID_OPTIONS") && /Textbox "Stray".*not placed/.test(e.message),
    );
  });

  test("a built app is frozen", () => {
    const { app, btn } = sample();
    app.build(NO_FILES_ENV);
    assert.throws(
      () => btn.click({ fn: () => 1 }),
      (e) => isUsherError(e, "INVALID_OPTIONS"),
    );
    assert.throws(
      () => app.layout(() => new Textbox()),
      (e) => isUsherError(e, "INVALID_OPTIONS"),
    );
  });

  test("listeners outside any Blocks, bad inputs and bad options are refused", () => {
    const t = new Textbox();
    assert.throws(
      () => t.change({ fn: () => 1 }),
      (e) => isUsherError(e, "INVALID_OPTIONS") && /outside of a Blocks/.test(e.message),
    );
    new Blocks({}, () => {
      const u = new Textbox();
      assert.throws(
        () => u.change({ fn: () => 1, inputs: ["text"] as never }),
        (e) => isUsherError(e, "INVALID_OPTIONS"),
      );
      assert.throws(
        () => u.change({ fn: () => 1, maxBatchSize: 0 }),
        (e) => isUsherError(e, "INVALID_OPTIONS") && /maxBatchSize/.test(e.message),
      );
      assert.throws(
        () => u.change({ fn: () => 1, apiName: "a b" }),
        (e) => isUsherError(e, "INVALID_OPTIONS"),
      );
      assert.throws(
        () => u.change({ fn: () => 1, triggerMode: "sometimes" as never }),
        (e) => isUsherError(e, "INVALID_OPTIONS"),
      );
    });
  });

  test("engine fields come from the listener's options", () => {
    const app = new Blocks({}, () => {
      const t = new Textbox();
      t.submit({
        fn: (xs: string[]) => [xs],
        inputs: [t],
        outputs: [t],
        batch: true,
        maxBatchSize: 8,
        concurrencyLimit: 2,
        concurrencyId: "gpu",
        expectedDurationMs: 500,
        timeoutMs: 10_000,
        queue: false,
        apiName: "upper",
      });
    });
    const [fn] = app.build(NO_FILES_ENV).functions;
    assert.deepEqual(
      {
        id: fn!.id,
        name: fn!.name,
        apiName: fn!.apiName,
        queue: fn!.queue,
        inputCount: fn!.inputCount,
        batch: fn!.batch,
        maxBatchSize: fn!.maxBatchSize,
        concurrencyId: fn!.concurrencyId,
        concurrencyLimit: fn!.concurrencyLimit,
        expectedDurationMs: fn!.expectedDurationMs,
        timeoutMs: fn!.timeoutMs,
      },
      {
        id: 0,
        name: "/upper",
        apiName: "upper",
        queue: false,
        inputCount: 1,
        batch: true,
        maxBatchSize: 8,
        concurrencyId: "gpu",
        concurrencyLimit: 2,
        expectedDurationMs: 500,
        timeoutMs: 10_000,
      },
    );
  });
});
