import type { FunctionComponent } from "preact";
import { AudioWidget } from "./AudioWidget.tsx";
import { Button } from "./Button.tsx";
import { Chatbot } from "./Chatbot.tsx";
import { Checkbox } from "./Checkbox.tsx";
import { CheckboxGroup } from "./CheckboxGroup.tsx";
import { Dataframe } from "./Dataframe.tsx";
import { Dropdown } from "./Dropdown.tsx";
import { Examples } from "./Examples.tsx";
import { Fallback } from "./Fallback.tsx";
import { FileWidget } from "./FileWidget.tsx";
import { Gallery } from "./Gallery.tsx";
import { Html } from "./Html.tsx";
import { ImageWidget } from "./ImageWidget.tsx";
import { JsonView } from "./JsonView.tsx";
import { Label } from "./Label.tsx";
import { Markdown } from "./Markdown.tsx";
import { NumberInput } from "./NumberInput.tsx";
import { Radio } from "./Radio.tsx";
import { Slider } from "./Slider.tsx";
import { Textbox } from "./Textbox.tsx";
import type { WidgetProps } from "./WidgetProps.ts";

/**
 * How a widget's block labels it: "for" (a `<label for>` on one control), "group" (a caption the
 * controls point at with aria-labelledby), "none" (no caption: buttons, Markdown, HTML).
 */
export type LabelKind = "for" | "group" | "none";

/** A widget and how its block labels it. */
export interface WidgetEntry {
  readonly widget: FunctionComponent<WidgetProps>;
  readonly label: LabelKind;
}

const WIDGETS: Readonly<Record<string, WidgetEntry>> = {
  textbox: { widget: Textbox, label: "for" },
  number: { widget: NumberInput, label: "for" },
  slider: { widget: Slider, label: "for" },
  checkbox: { widget: Checkbox, label: "for" },
  checkboxgroup: { widget: CheckboxGroup, label: "group" },
  dropdown: { widget: Dropdown, label: "for" },
  radio: { widget: Radio, label: "group" },
  image: { widget: ImageWidget, label: "group" },
  audio: { widget: AudioWidget, label: "group" },
  file: { widget: FileWidget, label: "group" },
  label: { widget: Label, label: "group" },
  json: { widget: JsonView, label: "group" },
  markdown: { widget: Markdown, label: "none" },
  html: { widget: Html, label: "none" },
  chatbot: { widget: Chatbot, label: "group" },
  button: { widget: Button, label: "none" },
  dataset: { widget: Examples, label: "group" },
  dataframe: { widget: Dataframe, label: "group" },
  gallery: { widget: Gallery, label: "group" },
};

/** The widget for a component type; unknown types show their value as JSON. */
export function widgetFor(type: string): WidgetEntry {
  return WIDGETS[type] ?? { widget: Fallback, label: "group" };
}
