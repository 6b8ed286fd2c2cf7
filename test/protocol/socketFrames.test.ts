import assert from "node:assert/strict";
import { test } from "node:test";
import { parseLegacyDataFrame } from "../../src/protocol/parseLegacyFrame.ts";
import { parseClientFrame } from "../../src/protocol/parseClientFrame.ts";
import { parseServerFrame } from "../../src/protocol/parseServerFrame.ts";
import {
  cancelErrorFrame,
  errorFrame,
  helloFrame,
  joinedFrame,
  joinErrorFrame,
  PONG,
  type WsControlFrame,
} from "../../src/protocol/socketFrames.ts";

test("control frames write the bytes the socket has always sent, in field order", () => {
  const cases: [WsControlFrame, string][] = [
    [helloFrame("abc"), '{"msg":"hello","session_hash":"abc"}'],
    [joinedFrame("1", "e1"), '{"msg":"joined","ref":"1","event_id":"e1"}'],
    [joinedFrame(null, "e1"), '{"msg":"joined","ref":null,"event_id":"e1"}'],
    [joinErrorFrame(3, 404, "No."), '{"msg":"join_error","ref":3,"status":404,"detail":"No."}'],
    [
      joinErrorFrame("r", 503, { error: "full" }, 1.5),
      '{"msg":"join_error","ref":"r","status":503,"detail":{"error":"full"},"retry_after":1.5}',
    ],
    [cancelErrorFrame("e", 404, "No."), '{"msg":"cancel_error","event_id":"e","status":404,"detail":"No."}'],
    [errorFrame("Bad."), '{"msg":"error","detail":"Bad."}'],
    [PONG, '{"msg":"pong"}'],
  ];
  for (const [frame, text] of cases) assert.equal(JSON.stringify(frame), text);
});

test("parseClientFrame reads frames into the wire union; `id` is the join's ref too", () => {
  assert.deepEqual(parseClientFrame({ type: "join", ref: "r", fn_index: 2, data: [1] }), {
    type: "join",
    ref: "r",
    fn_index: 2,
    data: [1],
  });
  assert.deepEqual(parseClientFrame({ type: "join", id: 7, data: [] }), {
    type: "join",
    ref: 7,
    fn_index: undefined,
    data: [],
  });
  assert.deepEqual(parseClientFrame({ type: "cancel", event_id: "e" }), { type: "cancel", event_id: "e" });
  assert.deepEqual(parseClientFrame({ type: "ping" }), { type: "ping" });
  assert.deepEqual(parseClientFrame({ type: "join", ref: "r", fn_index: -1, data: [] }), {
    problem: "`fn_index` must be a non-negative integer.",
    joinRef: "r",
  });
  assert.deepEqual(parseClientFrame([1]), { problem: "A frame must be a JSON object with a `type`." });
});

test("parseServerFrame checks the envelope only: a JSON object with a string msg", () => {
  assert.deepEqual(parseServerFrame('{"msg":"pong"}'), { msg: "pong" });
  const estimation = '{"msg":"estimation","event_id":"e","rank":0,"queue_size":1,"rank_eta":null}';
  assert.deepEqual(parseServerFrame(estimation), {
    msg: "estimation",
    event_id: "e",
    rank: 0,
    queue_size: 1,
    rank_eta: null,
  });
  for (const text of ["not json", "null", "[]", '"msg"', '{"msg":1}', "{}"]) {
    assert.equal(parseServerFrame(text), null, text);
  }
});

// The 3.x hash frame is read by the doors' shared readers (predictBody's fnIndexOf and
// sessionHashOf, test/server/doors.test.ts), so that every door gives the same refusals.
test("the 3.x socket's data frame", () => {
  assert.deepEqual(parseLegacyDataFrame({ data: [1], event_data: null, fn_index: 0 }), { data: [1] });
  for (const v of [null, "x", { data: "x" }]) {
    assert.deepEqual(parseLegacyDataFrame(v), { problem: "`data` must be a list of input values." });
  }
});
