// A multi-select of many fixed values (instance types): a group of
// checkboxes with a filter, the chosen ones listed first.
import { useState } from "preact/hooks";

export function MultiSelect({
  id,
  label,
  hint,
  options,
  value,
  onChange,
  error,
}: {
  id: string;
  label: string;
  hint?: string;
  options: readonly string[];
  value: string[];
  onChange: (v: string[]) => void;
  error?: string;
}) {
  const [filter, setFilter] = useState("");
  const shown = options.filter((o) => o.includes(filter.trim().toLowerCase()));
  const toggle = (o: string, on: boolean) =>
    onChange(on ? options.filter((x) => x === o || value.includes(x)) : value.filter((x) => x !== o));
  return (
    <fieldset id={id} class={`field multi-select${error ? " has-error" : ""}`} aria-describedby={hint ? `${id}-hint` : undefined}>
      <legend>{label}</legend>
      {hint && (
        <div class="hint" id={`${id}-hint`}>
          {hint}
        </div>
      )}
      <div class="chosen" aria-live="polite">
        {value.length ? `Chosen: ${value.join(", ")}` : "None chosen."}
      </div>
      <input
        type="search"
        aria-label={`Filter ${label.toLowerCase()}`}
        placeholder="Filter, e.g. m5"
        value={filter}
        onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
      />
      <div class="options">
        {shown.map((o) => (
          <label key={o} class="check">
            <input type="checkbox" checked={value.includes(o)} onChange={(e) => toggle(o, (e.target as HTMLInputElement).checked)} />
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
