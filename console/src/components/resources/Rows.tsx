// A list of similar groups of fields (channels, hyperparameters, metrics):
// each a labelled group with its own Remove button, and Add under them.
import type { ComponentChildren } from "preact";

export function Rows<T>({
  noun,
  rows,
  onChange,
  make,
  max,
  min = 0,
  render,
}: {
  /** Capitalised: "Channel". */
  noun: string;
  rows: T[];
  onChange: (rows: T[]) => void;
  make: () => T;
  max: number;
  min?: number;
  render: (row: T, i: number, set: (patch: Partial<T>) => void) => ComponentChildren;
}) {
  const set = (i: number) => (patch: Partial<T>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div class="rows">
      {rows.map((row, i) => (
        <div class="row" role="group" aria-label={`${noun} ${i + 1}`} key={i}>
          <div class="row-head">
            <h3>
              {noun} {i + 1}
            </h3>
            <button type="button" class="link" disabled={rows.length <= min} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
              Remove {noun.toLowerCase()} {i + 1}
            </button>
          </div>
          {render(row, i, set(i))}
        </div>
      ))}
      <button type="button" disabled={rows.length >= max} onClick={() => onChange([...rows, make()])}>
        Add {noun.toLowerCase()}
      </button>
      {rows.length >= max && <span class="muted"> At most {max}.</span>}
    </div>
  );
}

/** A group of checkboxes for a few fixed values. */
export function Checks({
  legend,
  options,
  value,
  onChange,
  error,
}: {
  legend: string;
  options: readonly string[];
  value: string[];
  onChange: (v: string[]) => void;
  error?: string;
}) {
  return (
    <fieldset class={`field${error ? " has-error" : ""}`}>
      <legend>{legend}</legend>
      <div>
        {options.map((o) => (
          <label class="check" key={o}>
            <input
              type="checkbox"
              checked={value.includes(o)}
              onChange={(e) =>
                onChange((e.target as HTMLInputElement).checked ? options.filter((x) => x === o || value.includes(x)) : value.filter((x) => x !== o))
              }
            />
            {o}
          </label>
        ))}
      </div>
      {error && (
        <div class="field-error" role="alert">
          {error}
        </div>
      )}
    </fieldset>
  );
}
