/**
 * Every component and layout, Gradio-named. Imported as a namespace
 * (`import { components as gr } from "usher-ml"`), it reads like Python's `gr.*`, including
 * `gr.Number` and `gr.JSON`, which the top-level exports call `NumberInput` and `Json` so that
 * they never shadow the global `Number` and `JSON`.
 */
export { Accordion } from "./Accordion.ts";
export { Audio } from "./Audio.ts";
export { Button } from "./Button.ts";
export { Chatbot } from "./Chatbot.ts";
export { Checkbox } from "./Checkbox.ts";
export { Column } from "./Column.ts";
export { Component } from "./Component.ts";
export { Dataset } from "./Dataset.ts";
export { Dropdown } from "./Dropdown.ts";
export { File } from "./File.ts";
export { HTML } from "./HTML.ts";
export { Image } from "./Image.ts";
export { Json, Json as JSON } from "./Json.ts";
export { Label } from "./Label.ts";
export { Markdown } from "./Markdown.ts";
export { NumberInput, NumberInput as Number } from "./NumberInput.ts";
export { Radio } from "./Radio.ts";
export { Row } from "./Row.ts";
export { Slider } from "./Slider.ts";
export { State } from "./State.ts";
export { Tab } from "./Tab.ts";
export { Textbox } from "./Textbox.ts";
