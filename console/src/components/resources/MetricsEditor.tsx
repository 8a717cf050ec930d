// "Metric definitions": what the training logs report (a name and the regex
// that finds its value), and which of them tuning may optimise.
import type { HyperParameterTuningJobObjective, MetricDefinition } from "@aws-sdk/client-sagemaker";
import { Field } from "../ui";
import { OBJECTIVE_TYPES } from "./enums.generated";
import type { FieldErrors } from "./errors";
import { Rows } from "./Rows";

export interface MetricRow {
  name: string;
  regex: string;
  objective: string;
}

export const METRICS = "TrainingSpecification.MetricDefinitions";
export const OBJECTIVES = "TrainingSpecification.SupportedTuningJobObjectiveMetrics";

export function metricKeys(rows: MetricRow[]): string[] {
  return [OBJECTIVES, ...rows.flatMap((_, i) => [`${METRICS}.${i + 1}`, `${METRICS}.${i + 1}.Name`, `${METRICS}.${i + 1}.Regex`])];
}

export const metricSpecs = (rows: MetricRow[]): MetricDefinition[] => rows.map((m) => ({ Name: m.name.trim(), Regex: m.regex }));

export const objectiveSpecs = (rows: MetricRow[]): HyperParameterTuningJobObjective[] =>
  rows.filter((m) => m.objective).map((m) => ({ MetricName: m.name.trim(), Type: m.objective as HyperParameterTuningJobObjective["Type"] }));

export function metricProblems(rows: MetricRow[]): FieldErrors {
  const e: FieldErrors = {};
  rows.forEach((m, i) => {
    const k = `${METRICS}.${i + 1}`;
    if (!m.name.trim()) e[`${k}.Name`] = "Enter the metric's name.";
    if (!m.regex) e[`${k}.Regex`] = "Enter the regex that finds the metric's value in the logs.";
    else {
      try {
        new RegExp(m.regex);
      } catch {
        e[`${k}.Regex`] = "This is not a valid regular expression.";
      }
    }
  });
  return e;
}

export function MetricsEditor({ rows, onChange, errors }: { rows: MetricRow[]; onChange: (r: MetricRow[]) => void; errors: FieldErrors }) {
  return (
    <>
      {errors[OBJECTIVES] && (
        <div class="field-error" role="alert">
          {errors[OBJECTIVES]}
        </div>
      )}
      <Rows
        noun="Metric"
        rows={rows}
        onChange={onChange}
        make={() => ({ name: "", regex: "", objective: "" })}
        max={40}
        render={(m, i, set) => {
          const k = `${METRICS}.${i + 1}`;
          const id = `metric-${i}`;
          return (
            <div class="row-grid">
              <Field id={`${id}-name`} label="Metric name" error={errors[`${k}.Name`] ?? errors[k]}>
                <input id={`${id}-name`} value={m.name} onInput={(e) => set({ name: (e.target as HTMLInputElement).value })} />
              </Field>
              <Field id={`${id}-regex`} label="Regex" hint="Its first group is the value, e.g. train:mse=([0-9.eE+-]+)" error={errors[`${k}.Regex`]}>
                <input id={`${id}-regex`} value={m.regex} spellcheck={false} onInput={(e) => set({ regex: (e.target as HTMLInputElement).value })} />
              </Field>
              <Field id={`${id}-objective`} label="Tuning objective">
                <select id={`${id}-objective`} value={m.objective} onChange={(e) => set({ objective: (e.target as HTMLSelectElement).value })}>
                  <option value="">Not an objective</option>
                  {OBJECTIVE_TYPES.map((t) => (
                    <option key={t}>{t}</option>
                  ))}
                </select>
              </Field>
            </div>
          );
        }}
      />
    </>
  );
}
