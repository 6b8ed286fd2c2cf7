import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Accordion, Blocks, Button, Column, Row, Tab, Textbox } from "../../src/app/index.ts";
import { isUsherError } from "../../src/errors.ts";

describe("layout context", () => {
  test("blocks constructed in a callback go to the innermost open container", () => {
    let row!: Row;
    let a!: Textbox;
    let b!: Textbox;
    const app = new Blocks({}, () => {
      row = new Row(() => {
        a = new Textbox();
        new Column(() => {
          b = new Textbox();
        });
      });
      new Button("Go");
    });
    assert.equal(a.parent, row);
    assert.equal(row.parent, app);
    assert.ok(b.parent instanceof Column && b.parent.parent === row);
    assert.equal(app.children.length, 2);
  });

  test("blocks made outside a callback stay unplaced until render() or add()", () => {
    const loose = new Textbox();
    const later = new Textbox({ render: false });
    assert.equal(loose.parent, null);
    const app = new Blocks({}, () => {
      later.render();
    });
    app.add(loose);
    assert.deepEqual(app.children, [later, loose]);
  });

  test("a block is placed once", () => {
    const t = new Textbox({ label: "x" });
    const app = new Blocks();
    app.add(t);
    assert.throws(
      () => app.add(t),
      (e) => isUsherError(e, "INVALID_OPTIONS") && /already placed/.test(e.message),
    );
  });

  test("render() outside a callback is an error", () => {
    assert.throws(
      () => new Textbox({ render: false }).render(),
      (e) => isUsherError(e, "INVALID_OPTIONS"),
    );
  });

  test("async layout callbacks are refused and the stack is restored", () => {
    const app = new Blocks();
    assert.throws(
      () => app.layout((async () => undefined) as unknown as () => void),
      (e) => isUsherError(e, "INVALID_OPTIONS") && /synchronous/.test(e.message),
    );
    assert.equal(new Textbox().parent, null);
  });

  test("an exception in a callback closes the container", () => {
    assert.throws(
      () =>
        new Blocks({}, () => {
          throw new Error("boom");
        }),
    );
    assert.equal(new Textbox().parent, null);
  });

  test("the Blocks callback receives the app; layout() appends", () => {
    let seen: Blocks | undefined;
    const app = new Blocks({}, (b) => {
      seen = b;
      new Textbox();
    });
    app.layout(() => new Tab("T", () => new Accordion({ label: "More", open: false })));
    assert.equal(seen, app);
    assert.equal(app.children.length, 2);
  });
});
