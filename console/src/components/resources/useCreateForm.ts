// The create forms' common behaviour: client-side checks per step, the
// step a field lives on, and an API error shown at the field it names
// (that step opened) or, naming none, at the top of the form.
import { useState } from "preact/hooks";
import { describeError } from "../../aws";
import { type FieldErrors, fieldOfError } from "./errors";

export function useCreateForm({
  steps,
  checkStep,
  fields,
  nameField,
  guess,
}: {
  /** Per step, the member paths (or their prefixes) its fields set. */
  steps: string[][];
  /** The client-side problems of step i. */
  checkStep: (i: number) => FieldErrors;
  /** Every member path that has a field. */
  fields: string[];
  nameField: string;
  guess?: (message: string) => string | undefined;
}) {
  const [step, setStep] = useState(0);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [topError, setTopError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const stepOf = (key: string) =>
    Math.max(0, steps.findIndex((prefixes) => prefixes.some((p) => key === p || key.startsWith(`${p}.`))));
  const withErrors = new Set(Object.keys(errors).map(stepOf));

  /** Next: stays on the step while its own checks fail. */
  const next = () => {
    const e = checkStep(step);
    // Errors of other steps stay shown; this step's are replaced.
    const kept = Object.fromEntries(Object.entries(errors).filter(([k]) => stepOf(k) !== step));
    setErrors({ ...kept, ...e });
    return Object.keys(e).length === 0;
  };

  /** Runs every check, then `create`; returns whether it succeeded. */
  const submit = async (create: () => Promise<void>) => {
    const all: FieldErrors = {};
    steps.forEach((_, i) => Object.assign(all, checkStep(i)));
    setTopError(undefined);
    setErrors(all);
    const keys = Object.keys(all);
    if (keys.length) {
      setStep(Math.min(...keys.map(stepOf)));
      return;
    }
    setBusy(true);
    try {
      await create();
    } catch (e) {
      const key = fieldOfError(e, fields, nameField, guess);
      if (key) {
        setErrors({ [key]: describeError(e) });
        setStep(stepOf(key));
      } else {
        setTopError(describeError(e));
      }
    } finally {
      setBusy(false);
    }
  };

  return { step, setStep, errors, topError, busy, withErrors, next, submit };
}
