import { Container } from "./Container.ts";

/**
 * The tab bar around consecutive {@link Tab}s. Not constructed by developers: `Blocks.build()`
 * wraps each run of adjacent tabs in one, as Gradio needs `gr.Tabs` around `gr.Tab`s.
 */
export class Tabs extends Container {
  readonly type = "tabs";

  constructor() {
    super({ render: false });
  }

  override configProps(): Record<string, unknown> {
    return { ...super.configProps(), selected: null };
  }
}
