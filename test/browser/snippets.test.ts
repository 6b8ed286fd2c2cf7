/**
 * The API view's snippets (ui/src/api/snippets.ts) without a browser: values that need quoting
 * survive the shell and JavaScript as written, Python literals are Python, and the status line
 * formats as Gradio's. The browser tests run the snippets the page shows for the default demo.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { test } from "node:test";
import { readFileSync } from "node:fs";
import { Image, Interface, type UploadedFile } from "../../src/index.ts";
import { samplePath } from "../../src/samples.ts";
import { launch } from "../helpers/launch.ts";
import { snippetsFor, type EndpointInfo } from "../../ui/src/api/snippets.ts";
import { formatStatus, type JobStatus } from "../../ui/src/runtime/JobStatus.ts";

const run = promisify(execFile);
const TRICKY = `it's "quoted" $HOME \`pwd\` \\ ünï`;

test("curl and JS snippets carry a value with quotes, $, backticks and backslashes intact", async () => {
  const app = await launch(
    new Interface({ fn: (text: string) => text, inputs: "text", outputs: "text", apiName: "echo_back" }),
  );
  const endpoint: EndpointInfo = { parameters: [{ parameter_name: "text", example_input: TRICKY }], returns: [{}] };
  const s = snippetsFor(app.url, "/echo_back", endpoint);
  const curl = await run("bash", ["-c", s.curl], { timeout: 30_000 });
  assert.match(curl.stdout, /event: complete/);
  const data = /data: (.*)/.exec(curl.stdout.split("event: complete")[1] ?? "")?.[1];
  assert.deepEqual(JSON.parse(data ?? "null"), [TRICKY]);
  const node = await run(
    process.execPath,
    ["--input-type=module", "-e", `${s.js}\nconsole.log(JSON.stringify(result.data));`],
    {
      cwd: process.cwd(),
      timeout: 30_000,
    },
  );
  assert.deepEqual(JSON.parse(node.stdout.trim().split("\n").at(-1) ?? "null"), [TRICKY]);
});

test("a file parameter's example is the bundled sample at a URL of the app itself: the snippets run offline", async () => {
  const app = await launch(
    new Interface({
      fn: (image: UploadedFile | null) => `${image?.name}: ${image?.size} B`,
      inputs: new Image(),
      outputs: "text",
      apiName: "measure",
    }),
  );
  const info = (await (await fetch(`${app.url}/gradio_api/info`)).json()) as {
    named_endpoints: Record<string, EndpointInfo>;
  };
  const s = snippetsFor(app.url, "/measure", info.named_endpoints["/measure"]!);
  const url = /handle_file\("([^"]+)"\)/.exec(s.python)?.[1] ?? "";
  assert.equal(new URL(url).origin, new URL(app.url).origin, s.python);
  assert.ok(url.endsWith(`/gradio_api/file=${samplePath("image.png")}`), url);
  assert.equal((await fetch(url)).headers.get("content-type"), "image/png");
  const size = readFileSync(samplePath("image.png")).length;
  const curl = await run("bash", ["-c", s.curl], { timeout: 30_000 });
  assert.match(curl.stdout, new RegExp(`event: complete\ndata: \\["image.png: ${size} B"\\]`), curl.stdout);
  const node = await run(process.execPath, ["--input-type=module", "-e", s.js], {
    cwd: process.cwd(),
    timeout: 30_000,
  });
  assert.match(node.stdout, new RegExp(`image.png: ${size} B`), node.stdout + node.stderr);
});

test("Python snippets use Python literals and handle_file for files at URLs", () => {
  const file = {
    path: "https://example.org/a.png",
    url: "https://example.org/a.png",
    meta: { _type: "gradio.FileData" },
  };
  const s = snippetsFor("http://h:1", "predict", {
    parameters: [
      { parameter_name: "flag", example_input: true },
      { parameter_name: "nothing", example_input: null },
      { parameter_name: "pic", example_input: file },
      { parameter_name: "opts", example_input: { a: [1, false] } },
    ],
    returns: [],
  });
  assert.equal(
    s.python,
    [
      "from gradio_client import Client, handle_file",
      "",
      'client = Client("http://h:1")',
      "result = client.predict(",
      "    flag=True,",
      "    nothing=None,",
      '    pic=handle_file("https://example.org/a.png"),',
      '    opts={"a": [1, False]},',
      '    api_name="/predict",',
      ")",
      "print(result)",
    ].join("\n"),
  );
  assert.match(s.js, /import \{ Client, handle_file \} from "@gradio\/client";/);
  assert.match(s.js, /pic: handle_file\("https:\/\/example.org\/a.png"\),/);
  // Parameters without usable names go by position.
  const positional = snippetsFor("http://h:1", "/p", {
    parameters: [{ parameter_name: "not valid", example_input: 1 }],
    returns: [],
  });
  assert.match(positional.js, /client\.predict\("\/p", \[1\]\)/);
  assert.match(positional.python, /result = client.predict\(\n {4}1,\n/);
});

test("the status line reads like Gradio's", () => {
  const base: JobStatus = {
    stage: "queued",
    submittedAt: 1000,
    rank: 2,
    queueSize: 27,
    expectedEndAt: 13_000,
    progress: null,
    loadingUntil: null,
    message: null,
    showProgress: "full",
  };
  assert.equal(formatStatus(base, 5100), "queue: 3/27 | 4.1/12.0s");
  assert.equal(formatStatus({ ...base, expectedEndAt: null }, 5100), "queue: 3/27 | 4.1s");
  assert.equal(formatStatus({ ...base, stage: "running", rank: null }, 2000), "processing | 1.0/12.0s");
  assert.equal(formatStatus({ ...base, stage: "pending", expectedEndAt: null }, 1300), "0.3s");
});
