import type { Block } from "../components/index.ts";
import { Container } from "../components/index.ts";
import { Tab } from "../components/index.ts";
import { Tabs } from "../components/index.ts";

/** A block with its config id, and its children when it is a container. */
export interface LayoutNode {
  readonly block: Block;
  readonly id: number;
  readonly children?: readonly LayoutNode[];
}

/** The numbered tree of a built app. */
export interface NumberedLayout {
  readonly root: LayoutNode;
  /** Every block by id (index = id; 0 is the root), then the extra blocks. */
  readonly blocks: readonly Block[];
  readonly idOf: ReadonlyMap<Block, number>;
}

/**
 * Numbers the layout depth-first: the root is 0 (Gradio's root layout id) and every block below
 * gets the next id in document order. Each run of adjacent Tabs is wrapped in a Tabs bar (with
 * its own id, before its tabs). `extra` blocks (State used by events but never placed) are
 * numbered after the tree and are not in the layout.
 */
export function numberLayout(root: Container, extra: readonly Block[]): NumberedLayout {
  const blocks: Block[] = [];
  const idOf = new Map<Block, number>();
  const number = (block: Block): number => {
    const id = blocks.length;
    blocks.push(block);
    idOf.set(block, id);
    return id;
  };
  const visit = (block: Block, children: readonly Block[] | null): LayoutNode => {
    const id = number(block);
    if (children === null) return { block, id };
    const nodes: LayoutNode[] = [];
    for (let i = 0; i < children.length; i++) {
      const child = children[i]!;
      if (child instanceof Tab && !(block instanceof Tabs)) {
        const run: Block[] = [];
        while (i < children.length && children[i] instanceof Tab) run.push(children[i++]!);
        i--;
        nodes.push(visit(new Tabs(), run));
      } else {
        nodes.push(visit(child, child instanceof Container ? child.children : null));
      }
    }
    return { block, id, children: nodes };
  };
  const tree = visit(root, root.children);
  for (const block of extra) number(block);
  return { root: tree, blocks, idOf };
}

/** The config's `layout` JSON: `{ id, children?: [...] }`. */
export function layoutJson(node: LayoutNode): Record<string, unknown> {
  return node.children === undefined ? { id: node.id } : { id: node.id, children: node.children.map(layoutJson) };
}
