import type { Component, Dependency } from "../components/index.ts";

/** One endpoint's facts for `/info`. */
export interface ApiEndpointParts {
  readonly dependency: Dependency;
  readonly apiName: string | null;
  readonly inputIds: readonly number[];
  readonly outputIds: readonly number[];
  readonly parameterNames: readonly string[];
}

/**
 * Gradio's `/info`: `{ named_endpoints: { "/name": { parameters, returns, ... } }, unnamed_endpoints: {} }`.
 * Hidden endpoints (`apiName: false`, "private") never appear; "undocumented" ones only with
 * `allEndpoints`. State is left out of parameters and returns (clients re-insert it by position).
 * A component with an example file in `examples` offers it as `example_input` (else its own).
 */
export function buildApiInfo(
  endpoints: readonly ApiEndpointParts[],
  allEndpoints: boolean,
  examples: ReadonlyMap<Component<unknown>, unknown> = new Map(),
): Record<string, unknown> {
  const named: Record<string, unknown> = {};
  for (const e of endpoints) {
    const dep = e.dependency;
    if (e.apiName === null || dep.apiVisibility === "private") continue;
    if (dep.apiVisibility === "undocumented" && !allEndpoints) continue;
    const parameters = dep.inputs.flatMap((c, i) => {
      if (c.skipApi) return [];
      const api = c.describeApi(true);
      const value = c.configValue();
      return [
        {
          label: c.label ?? `parameter_${e.inputIds[i]}`,
          parameter_name: e.parameterNames[i],
          parameter_has_default: value !== null && value !== undefined,
          parameter_default: value ?? null,
          type: api.type,
          python_type: api.python_type,
          component: api.component,
          example_input: examples.has(c) ? examples.get(c) : api.example_input,
        },
      ];
    });
    const returns = dep.outputs.flatMap((c, j) => {
      if (c.skipApi) return [];
      const api = c.describeApi(false);
      return [
        {
          label: c.label ?? `value_${e.outputIds[j]}`,
          type: api.type,
          python_type: api.python_type,
          component: api.component,
        },
      ];
    });
    named[`/${e.apiName}`] = {
      parameters,
      returns,
      api_visibility: dep.apiVisibility,
      show_api: dep.apiVisibility === "public",
      description: dep.apiDescription,
    };
  }
  return { named_endpoints: named, unnamed_endpoints: {} };
}
