/**
 * The public app API: Interface and Blocks, layouts, components, event listener types and the
 * context every event function receives. Re-exported by src/index.ts.
 */
export { Blocks, type BlocksOptions } from "./Blocks.ts";
export { Interface, type InterfaceIO, type InterfaceOptions } from "./Interface.ts";
export { on } from "./on.ts";
export type { Dependency } from "../components/Dependency.ts";
export type { EventContext } from "../runtime/EventContext.ts";
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
} from "../components/Listener.ts";
export type { AppFunction, Buildable, ConfigContext, RuntimeEnv, ServedApp } from "./ServedApp.ts";

export { Accordion, type AccordionOptions } from "../components/Accordion.ts";
export { Column, type ColumnOptions } from "../components/Column.ts";
export { Row, type RowOptions } from "../components/Row.ts";
export { Tab, type TabOptions } from "../components/Tab.ts";
export type { BlockOptions } from "../components/Block.ts";

export { Audio, type AudioOptions } from "../components/Audio.ts";
export { Button, type ButtonOptions } from "../components/Button.ts";
export { Chatbot, type ChatbotOptions, type ChatFile, type ChatMessage } from "../components/Chatbot.ts";
export { Checkbox, type CheckboxOptions } from "../components/Checkbox.ts";
export { Component, type ApiDescription, type ComponentOptions, type ProcessContext } from "../components/Component.ts";
export { Dataset, type DatasetOptions } from "../components/Dataset.ts";
export { Dropdown, type DropdownOptions } from "../components/Dropdown.ts";
export { File, type FileOptions } from "../components/File.ts";
export type { FileArg, FileValueType } from "../components/FileComponent.ts";
export type { FileData } from "../components/FileData.ts";
export { HTML, type HTMLOptions } from "../components/HTML.ts";
export { Image, type ImageOptions } from "../components/Image.ts";
export { Json, type JsonOptions } from "../components/Json.ts";
export { Label, type LabelData, type LabelOptions, type LabelValue } from "../components/Label.ts";
export { Markdown, type MarkdownOptions } from "../components/Markdown.ts";
export type { Choice, ChoiceValue } from "../components/normalizeChoices.ts";
export { NumberInput, type NumberInputOptions } from "../components/NumberInput.ts";
export { Radio, type RadioOptions } from "../components/Radio.ts";
export type { UploadedFile } from "../components/readInputFile.ts";
export type { ComponentSpec, ShortcutName } from "../components/resolveComponent.ts";
export { Slider, type SliderOptions } from "../components/Slider.ts";
export { State } from "../components/State.ts";
export type { FileOutput } from "../components/storeOutputFile.ts";
export { Textbox, type TextboxOptions } from "../components/Textbox.ts";
export * as components from "../components/index.ts";
