/**
 * Python's `inspect.cleandoc`, which Gradio applies to Markdown: drops the common indentation so
 * that an indented template literal renders as intended (not as a code block).
 */
export function cleanDoc(text: string): string {
  const lines = text.replace(/\t/g, "    ").split("\n");
  const rest = lines.slice(1).filter((l) => l.trim() !== "");
  const indent = rest.length === 0 ? 0 : Math.min(...rest.map((l) => l.length - l.trimStart().length));
  const out = [lines[0]!.trimStart(), ...lines.slice(1).map((l) => l.slice(indent))];
  while (out.length > 0 && out[0]!.trim() === "") out.shift();
  while (out.length > 0 && out[out.length - 1]!.trim() === "") out.pop();
  return out.join("\n");
}
