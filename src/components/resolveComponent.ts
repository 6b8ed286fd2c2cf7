import { UsherError } from "../errors.ts";
import { Audio, type AudioOptions } from "./Audio.ts";
import { Chatbot, type ChatbotOptions, type ChatMessage } from "./Chatbot.ts";
import { Checkbox, type CheckboxOptions } from "./Checkbox.ts";
import { Component } from "./Component.ts";
import { Dropdown, type DropdownOptions } from "./Dropdown.ts";
import { File, type FileOptions } from "./File.ts";
import { HTML, type HTMLOptions } from "./HTML.ts";
import { Image, type ImageOptions } from "./Image.ts";
import { Json, type JsonOptions } from "./Json.ts";
import { Label, type LabelOptions, type LabelValue } from "./Label.ts";
import { Markdown, type MarkdownOptions } from "./Markdown.ts";
import { NumberInput, type NumberInputOptions } from "./NumberInput.ts";
import { Radio, type RadioOptions } from "./Radio.ts";
import type { UploadedFile } from "./readInputFile.ts";
import { Slider, type SliderOptions } from "./Slider.ts";
import { State } from "./State.ts";
import { Textbox, type TextboxOptions } from "./Textbox.ts";

/** The options each shortcut takes in its object form (`{ type: "number", label: "n" }`). */
export interface ShortcutOptions {
  text: TextboxOptions;
  textbox: TextboxOptions;
  textarea: TextboxOptions;
  number: NumberInputOptions;
  slider: SliderOptions;
  checkbox: CheckboxOptions;
  dropdown: DropdownOptions;
  radio: RadioOptions;
  image: ImageOptions;
  audio: AudioOptions;
  file: FileOptions;
  files: Omit<FileOptions, "fileCount">;
  label: LabelOptions;
  json: JsonOptions;
  markdown: MarkdownOptions;
  html: HTMLOptions;
  chatbot: ChatbotOptions;
  state: { value?: unknown };
}

/** A string shortcut: "text", "number", "image", ... (case-insensitive at run time). */
export type ShortcutName = keyof ShortcutOptions;

/** What a function receives for each shortcut. */
export interface ShortcutValues {
  text: string;
  textbox: string;
  textarea: string;
  number: number;
  slider: number;
  checkbox: boolean;
  dropdown: any;
  radio: any;
  image: UploadedFile | null;
  audio: UploadedFile | null;
  file: UploadedFile | null;
  files: UploadedFile[];
  label: LabelValue | null;
  json: any;
  markdown: string;
  html: string;
  chatbot: ChatMessage[];
  state: any;
}

/**
 * A component described by a plain object: a shortcut name as `type`, plus that component's
 * options (except its own `type` option, e.g. Textbox's input type: use a component for that).
 */
export type ComponentDescriptor = {
  [K in ShortcutName]: { readonly type: K } & Omit<ShortcutOptions[K], "type">;
}[ShortcutName];

/** A component, a shortcut for one ("text"), or a descriptor (`{ type: "number", label: "n", value: 2 }`). */
export type ComponentSpec = Component<any> | ShortcutName | ComponentDescriptor;

// Shortcut components are made unplaced: Interface places them in its own layout.
const FACTORIES: { [K in ShortcutName]: (o: ShortcutOptions[K]) => Component<any> } = {
  text: (o) => new Textbox({ ...o, render: false }),
  textbox: (o) => new Textbox({ ...o, render: false }),
  textarea: (o) => new Textbox({ lines: 7, ...o, render: false }),
  number: (o) => new NumberInput({ ...o, render: false }),
  slider: (o) => new Slider({ ...o, render: false }),
  checkbox: (o) => new Checkbox({ ...o, render: false }),
  dropdown: (o) => new Dropdown({ ...o, render: false }),
  radio: (o) => new Radio({ ...o, render: false }),
  image: (o) => new Image({ ...o, render: false }),
  audio: (o) => new Audio({ ...o, render: false }),
  file: (o) => new File({ ...o, render: false }),
  files: (o) => new File({ ...o, fileCount: "multiple", render: false }),
  label: (o) => new Label({ ...o, render: false }),
  json: (o) => new Json({ ...o, render: false }),
  markdown: (o) => new Markdown({ ...o, render: false }),
  html: (o) => new HTML({ ...o, render: false }),
  chatbot: (o) => new Chatbot({ ...o, render: false }),
  state: (o) => new State(o.value),
};

/** The names {@link resolveComponent} accepts. */
export const SHORTCUT_NAMES: readonly string[] = Object.keys(FACTORIES);

/** The component for a spec: the component itself, or a new unplaced one for a shortcut or descriptor. */
export function resolveComponent(spec: ComponentSpec): Component<any> {
  if (spec instanceof Component) return spec;
  const isDescriptor =
    typeof spec === "object" && spec !== null && typeof (spec as { type?: unknown }).type === "string";
  const name = typeof spec === "string" ? spec : isDescriptor ? (spec as { type: string }).type : undefined;
  const make =
    name === undefined
      ? undefined
      : (FACTORIES[name.toLowerCase() as ShortcutName] as ((o: object) => Component<any>) | undefined);
  if (make === undefined) {
    throw new UsherError(
      "INVALID_OPTIONS",
      `Unknown component ${JSON.stringify(name ?? spec)}: use a component or one of ${SHORTCUT_NAMES.map((n) => `"${n}"`).join(", ")}.`,
    );
  }
  if (!isDescriptor) return make({});
  const { type: _type, ...options } = spec as { type: string };
  return make(options);
}
