// "Hyperparameters": the ones an algorithm accepts, each with its type,
// its tuning range (Integer and Continuous: bounds; Categorical: values),
// default, and whether it is tunable and required.
import type { HyperParameterSpecification, ParameterRange } from "@aws-sdk/client-sagemaker";
import { Field } from "../ui";
import { PARAMETER_TYPES } from "./enums.generated";
import { type FieldErrors, splitList } from "./errors";
import { Rows } from "./Rows";

export interface HyperRow {
  name: string;
  description: string;
  type: string;
  min: string;
  max: string;
  values: string;
  defaultValue: string;
  tunable: boolean;
  required: boolean;
}

export const HYPERPARAMETERS = "TrainingSpecification.SupportedHyperParameters";
const MEMBERS = ["Name", "Description", "Type", "Range", "DefaultValue"];

export const newHyper = (): HyperRow => ({
  name: "",
  description: "",
  type: "Integer",
  min: "",
  max: "",
  values: "",
  defaultValue: "",
  tunable: false,
  required: false,
});

export function hyperKeys(rows: HyperRow[]): string[] {
  return rows.flatMap((_, i) => [`${HYPERPARAMETERS}.${i + 1}`, ...MEMBERS.map((m) => `${HYPERPARAMETERS}.${i + 1}.${m}`)]);
}

function range(h: HyperRow): ParameterRange | undefined {
  const bounds = { MinValue: h.min.trim(), MaxValue: h.max.trim() };
  switch (h.type) {
    case "Integer":
      return { IntegerParameterRangeSpecification: bounds };
    case "Continuous":
      return { ContinuousParameterRangeSpecification: bounds };
    case "Categorical":
      return { CategoricalParameterRangeSpecification: { Values: splitList(h.values) } };
    default:
      return undefined;
  }
}

export function hyperSpecs(rows: HyperRow[]): HyperParameterSpecification[] {
  return rows.map((h) => ({
    Name: h.name.trim(),
    Description: h.description.trim() || undefined,
    Type: h.type as HyperParameterSpecification["Type"],
    Range: range(h),
    IsTunable: h.tunable,
    IsRequired: h.required,
    DefaultValue: h.defaultValue.trim() || undefined,
  }));
}

export function hyperProblems(rows: HyperRow[]): FieldErrors {
  const e: FieldErrors = {};
  rows.forEach((h, i) => {
    const k = `${HYPERPARAMETERS}.${i + 1}`;
    if (!h.name.trim()) e[`${k}.Name`] = "Enter the hyperparameter's name.";
    if (h.type === "Integer" || h.type === "Continuous") {
      const ok = (v: string) => v.trim() !== "" && Number.isFinite(Number(v)) && (h.type === "Continuous" || Number.isInteger(Number(v)));
      const what = h.type === "Integer" ? "whole numbers" : "numbers";
      if (!ok(h.min) || !ok(h.max)) e[`${k}.Range`] = `Enter the minimum and maximum values, as ${what}.`;
      else if (Number(h.min) > Number(h.max)) e[`${k}.Range`] = "The minimum value is greater than the maximum value.";
    }
    if (h.type === "Categorical" && !splitList(h.values).length) e[`${k}.Range`] = "Enter the values it can take, separated by commas.";
  });
  return e;
}

export function HyperparametersEditor({ rows, onChange, errors }: { rows: HyperRow[]; onChange: (r: HyperRow[]) => void; errors: FieldErrors }) {
  return (
    <Rows
      noun="Hyperparameter"
      rows={rows}
      onChange={onChange}
      make={newHyper}
      max={100}
      render={(h, i, set) => {
        const k = `${HYPERPARAMETERS}.${i + 1}`;
        const id = `hyperparameter-${i}`;
        const input = (field: keyof HyperRow, label: string, member: string, hint?: string) => (
          <Field id={`${id}-${field}`} label={label} hint={hint} error={errors[`${k}.${member}`]}>
            <input id={`${id}-${field}`} value={h[field] as string} onInput={(e) => set({ [field]: (e.target as HTMLInputElement).value })} />
          </Field>
        );
        return (
          <>
            {errors[k] && (
              <div class="field-error" role="alert">
                {errors[k]}
              </div>
            )}
            <div class="row-grid">
              {input("name", "Hyperparameter name", "Name")}
              {input("description", "Description (optional)", "Description")}
              <Field id={`${id}-type`} label="Type" error={errors[`${k}.Type`]}>
                <select id={`${id}-type`} value={h.type} onChange={(e) => set({ type: (e.target as HTMLSelectElement).value })}>
                  {PARAMETER_TYPES.map((t) => (
                    <option key={t}>{t}</option>
                  ))}
                </select>
              </Field>
              {(h.type === "Integer" || h.type === "Continuous") && (
                <>
                  {input("min", "Minimum value", "Range")}
                  <Field id={`${id}-max`} label="Maximum value">
                    <input id={`${id}-max`} value={h.max} onInput={(e) => set({ max: (e.target as HTMLInputElement).value })} />
                  </Field>
                </>
              )}
              {h.type === "Categorical" && input("values", "Values", "Range", "Separated by commas.")}
              {input("defaultValue", "Default value (optional)", "DefaultValue")}
            </div>
            <label class="check">
              <input type="checkbox" checked={h.tunable} onChange={(e) => set({ tunable: (e.target as HTMLInputElement).checked })} /> Tunable
            </label>
            <label class="check">
              <input type="checkbox" checked={h.required} onChange={(e) => set({ required: (e.target as HTMLInputElement).checked })} /> Required
            </label>
          </>
        );
      }}
    />
  );
}
