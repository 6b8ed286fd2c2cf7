/**
 * The face of src/components/: what other folders use of it. Other folders import only this file (the
 * depcheck rule `through-the-face`); this folder's own files import their siblings directly, never
 * this file. See docs/architecture.md.
 */
export { Accordion, type AccordionOptions } from "./Accordion.ts";
export { Audio, type AudioOptions } from "./Audio.ts";
export type { Block, BlockOptions } from "./Block.ts";
export { Button, type ButtonOptions } from "./Button.ts";
export { Chatbot, type ChatFile, type ChatMessage, type ChatbotOptions } from "./Chatbot.ts";
export { Checkbox, type CheckboxOptions } from "./Checkbox.ts";
export { Column, type ColumnOptions } from "./Column.ts";
export { Component, type ApiDescription, type ComponentOptions, type ProcessContext } from "./Component.ts";
export { Container, type ListenerRegistry } from "./Container.ts";
export { Dataset, type DatasetOptions } from "./Dataset.ts";
export { Dependency } from "./Dependency.ts";
export { Dropdown, type DropdownOptions } from "./Dropdown.ts";
export { File, type FileOptions } from "./File.ts";
export type { FileArg, FileValueType } from "./FileComponent.ts";
export type { FileData } from "./FileData.ts";
export { HTML, type HTMLOptions } from "./HTML.ts";
export { Image, type ImageOptions } from "./Image.ts";
export { Json, type JsonOptions } from "./Json.ts";
export { Label, type LabelData, type LabelOptions, type LabelValue } from "./Label.ts";
export { LayoutContext } from "./LayoutContext.ts";
export type {
  AnyListener,
  ArgsOf,
  BatchEventFn,
  EventFn,
  Inputs,
  Listener,
  ListenerOptions,
  Outputs,
  Trigger,
  TriggerAfter,
  ValueOf,
} from "./Listener.ts";
export { Markdown, type MarkdownOptions } from "./Markdown.ts";
export { NumberInput, type NumberInputOptions } from "./NumberInput.ts";
export { Radio, type RadioOptions } from "./Radio.ts";
export { Row, type RowOptions } from "./Row.ts";
export { Slider, type SliderOptions } from "./Slider.ts";
export { State } from "./State.ts";
export { Tab, type TabOptions } from "./Tab.ts";
export { Tabs } from "./Tabs.ts";
export { Textbox, type TextboxOptions } from "./Textbox.ts";
export type { Choice, ChoiceValue } from "./normalizeChoices.ts";
export type { UploadedFile } from "./readInputFile.ts";
export { resolveComponent, type ComponentSpec, type ShortcutName } from "./resolveComponent.ts";
export type { FileOutput } from "./storeOutputFile.ts";

// The Gradio-named namespace of every component and layout (`components` in the public API).
export * as gr from "./gr.ts";
