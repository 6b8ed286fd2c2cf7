/**
 * The public app API: Interface and Blocks, layouts, components, event listener types and the
 * context every event function receives. Re-exported by src/index.ts.
 */
export { Blocks, type BlocksOptions } from "./Blocks.ts";
export { Interface, type InterfaceIO, type InterfaceOptions } from "./Interface.ts";
export { on } from "./on.ts";
export type { Dependency } from "../components/index.ts";
export type { EventContext } from "../runtime/index.ts";
export type {
  ArgsOf,
  BatchEventFn,
  EventFn,
  Inputs,
  Listener,
  ListenerOptions,
  Outputs,
  Trigger,
  ValueOf,
} from "../components/index.ts";
export type { AppFunction, Buildable, ConfigContext, RuntimeEnv, ServedApp } from "./ServedApp.ts";

export { Accordion, type AccordionOptions } from "../components/index.ts";
export { Column, type ColumnOptions } from "../components/index.ts";
export { Row, type RowOptions } from "../components/index.ts";
export { Tab, type TabOptions } from "../components/index.ts";
export type { BlockOptions } from "../components/index.ts";

export { Audio, type AudioOptions } from "../components/index.ts";
export { Button, type ButtonOptions } from "../components/index.ts";
export { Chatbot, type ChatbotOptions, type ChatFile, type ChatMessage } from "../components/index.ts";
export { Checkbox, type CheckboxOptions } from "../components/index.ts";
export { Component, type ApiDescription, type ComponentOptions, type ProcessContext } from "../components/index.ts";
export { Dataset, type DatasetOptions } from "../components/index.ts";
export { Dropdown, type DropdownOptions } from "../components/index.ts";
export { File, type FileOptions } from "../components/index.ts";
export type { FileArg, FileValueType } from "../components/index.ts";
export type { FileData } from "../components/index.ts";
export { HTML, type HTMLOptions } from "../components/index.ts";
export { Image, type ImageOptions } from "../components/index.ts";
export { Json, type JsonOptions } from "../components/index.ts";
export { Label, type LabelData, type LabelOptions, type LabelValue } from "../components/index.ts";
export { Markdown, type MarkdownOptions } from "../components/index.ts";
export type { Choice, ChoiceValue } from "../components/index.ts";
export { NumberInput, type NumberInputOptions } from "../components/index.ts";
export { Radio, type RadioOptions } from "../components/index.ts";
export type { UploadedFile } from "../components/index.ts";
export type { ComponentSpec, ShortcutName } from "../components/index.ts";
export { Slider, type SliderOptions } from "../components/index.ts";
export { State } from "../components/index.ts";
export type { FileOutput } from "../components/index.ts";
export { Textbox, type TextboxOptions } from "../components/index.ts";
export { gr as components } from "../components/index.ts";

export type { RunningApp } from "./RunningApp.ts";
