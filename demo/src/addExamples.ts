/**
 * Examples for a Blocks layout, the way Interface adds them: a Dataset of sample rows whose click
 * fills the inputs (a hidden, unqueued endpoint). File examples are paths: the page shows them as
 * thumbnails, and the server serves them in place.
 */
import { Dataset, type Component } from "usher-ml";

/** Adds a clickable examples table at the current place in the layout. */
export function addExamples(inputs: readonly Component<any>[], rows: readonly (readonly unknown[])[]): Dataset {
  const dataset = new Dataset({ components: inputs, samples: rows });
  dataset.click({
    fn: (index: number | null) => {
      const row = (index === null ? undefined : rows[index]) ?? inputs.map(() => null);
      return inputs.length === 1 ? row[0] : [...row];
    },
    inputs: [dataset],
    outputs: inputs,
    apiName: false,
    queue: false,
    showProgress: "hidden",
  });
  return dataset;
}
