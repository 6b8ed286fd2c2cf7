import { choices, type WidgetProps } from "./WidgetProps.ts";

/**
 * A dropdown: a `<select>` (several values with `multiselect`), or a text field with suggestions
 * when custom values are allowed. Values keep their wire type (a number choice stays a number).
 */
export function Dropdown({ id, props, value, interactive, inputId, ctx }: WidgetProps) {
  const options = choices(props);
  const byKey = (i: string) => options[Number(i)]?.[1];
  if (props["multiselect"] === true) {
    const selected = new Set(Array.isArray(value) ? value : []);
    return (
      <select
        id={inputId}
        class="input"
        multiple
        disabled={!interactive}
        onChange={(e) => {
          const picked = [...(e.currentTarget as HTMLSelectElement).selectedOptions].map((o) => byKey(o.value));
          ctx.runtime.userInput(id, picked);
        }}
      >
        {options.map(([label, v], i) => (
          <option key={i} value={String(i)} selected={selected.has(v)}>
            {label}
          </option>
        ))}
      </select>
    );
  }
  if (props["allow_custom_value"] === true) {
    const listId = `${inputId}-choices`;
    return (
      <>
        <input
          id={inputId}
          class="input"
          list={listId}
          value={value === null || value === undefined ? "" : String(value)}
          readOnly={!interactive}
          onInput={(e) => {
            const text = (e.currentTarget as HTMLInputElement).value;
            const match = options.find(([label]) => label === text);
            ctx.runtime.userInput(id, match === undefined ? text : match[1]);
          }}
        />
        <datalist id={listId}>
          {options.map(([label], i) => (
            <option key={i} value={label} />
          ))}
        </datalist>
      </>
    );
  }
  const index = options.findIndex(([, v]) => v === value);
  return (
    <select
      id={inputId}
      class="input"
      disabled={!interactive}
      value={index < 0 ? "" : String(index)}
      onChange={(e) => ctx.runtime.userInput(id, byKey((e.currentTarget as HTMLSelectElement).value) ?? null)}
    >
      {index < 0 && <option value="">—</option>}
      {options.map(([label], i) => (
        <option key={i} value={String(i)}>
          {label}
        </option>
      ))}
    </select>
  );
}
