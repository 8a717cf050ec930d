// The validation specification, shared by both create forms: whether the
// resource is for AWS Marketplace (CertifyForMarketplace), the IAM role the
// validation runs as, and one validation profile, whose job definitions are
// JSON in editors that know their shapes. A few fields (data and output
// locations, with the S3 browser) edit members of that JSON for the seller.
import type { EditorProblem } from "../json-editor";
import { JsonEditor } from "../json-editor";
import { Field } from "../ui";
import type { FieldErrors } from "./errors";
import { type Path, readPath, writePath } from "./jsonpath";
import { RoleField } from "./RoleField";
import { S3Field } from "./S3Picker";

export interface ValidationForm {
  certify: boolean;
  role: string;
  profileName: string;
  transform: string;
  training: string;
}

const PROFILE = "ValidationSpecification.ValidationProfiles.1";
export const VALIDATION_KEYS = {
  certify: "CertifyForMarketplace",
  role: "ValidationSpecification.ValidationRole",
  profileName: `${PROFILE}.ProfileName`,
  transform: `${PROFILE}.TransformJobDefinition`,
  training: `${PROFILE}.TrainingJobDefinition`,
};

/** Editor problems per definition, kept by the form to block a create with errors. */
export type EditorProblems = { transform: EditorProblem[]; training: EditorProblem[] };

export function validationProblems(f: ValidationForm, problems: EditorProblems, withTraining: boolean): FieldErrors {
  const e: FieldErrors = {};
  if (!f.role.trim()) e[VALIDATION_KEYS.role] = "Enter the IAM role the validation runs as.";
  if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(f.profileName)) {
    e[VALIDATION_KEYS.profileName] = "A profile name has 1–63 letters, digits and hyphens.";
  }
  const defs: ["transform" | "training", string][] = withTraining ? [["training", "training"], ["transform", "transform"]] : [["transform", "transform"]];
  for (const [k, noun] of defs) {
    const errors = problems[k].filter((p) => p.severity === "error");
    // An algorithm's profile may leave out the transform job (training is then all it validates).
    if (!f[k].trim()) {
      if (k === "training" || !withTraining) e[VALIDATION_KEYS[k]] = `Enter the ${noun} job definition.`;
    } else if (!parses(f[k])) {
      e[VALIDATION_KEYS[k]] = `The ${noun} job definition is not valid JSON.`;
    } else if (errors.length) {
      e[VALIDATION_KEYS[k]] = `The ${noun} job definition has ${errors.length} problem${errors.length > 1 ? "s" : ""}: ${errors[0].message} (line ${errors[0].line})`;
    }
  }
  return e;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A field that edits one string member of a JSON definition. */
function MemberField({
  id,
  label,
  hint,
  json,
  path,
  onJson,
}: {
  id: string;
  label: string;
  hint: string;
  json: string;
  path: Path;
  onJson: (v: string) => void;
}) {
  const value = readPath(json, path);
  return (
    <S3Field
      id={id}
      label={label}
      hint={value === undefined ? `${hint} (Fix the JSON below first.)` : hint}
      value={value ?? ""}
      onChange={(v) => {
        const next = writePath(json, path, v);
        if (next !== undefined) onJson(next);
      }}
    />
  );
}

export function ValidationFields({
  form,
  set,
  errors,
  noun,
  withTraining,
  onProblems,
}: {
  form: ValidationForm;
  set: (patch: Partial<ValidationForm>) => void;
  errors: FieldErrors;
  noun: "model package" | "algorithm";
  withTraining: boolean;
  onProblems: (k: keyof EditorProblems, p: EditorProblem[]) => void;
}) {
  return (
    <>
      <fieldset class="field radios">
        <legend>Publish this {noun} in AWS Marketplace</legend>
        <div class="hint">
          Yes certifies it for AWS Marketplace (CertifyForMarketplace): AWS Marketplace lists only {noun}s whose validation completed.
        </div>
        <label class="check">
          <input type="radio" name="certify" checked={form.certify} onChange={() => set({ certify: true })} /> Yes
        </label>
        <label class="check">
          <input type="radio" name="certify" checked={!form.certify} onChange={() => set({ certify: false })} /> No
        </label>
      </fieldset>
      <RoleField id="validation-role" value={form.role} onChange={(role) => set({ role })} error={errors[VALIDATION_KEYS.role]} />
      <Field id="profile-name" label="Validation profile name" error={errors[VALIDATION_KEYS.profileName]}>
        <input id="profile-name" value={form.profileName} onInput={(e) => set({ profileName: (e.target as HTMLInputElement).value })} />
      </Field>
      {withTraining && (
        <>
          <MemberField
            id="training-data"
            label="Training data location"
            hint="Where the validation's training job reads its first channel (InputDataConfig, first channel, S3Uri)."
            json={form.training}
            path={["InputDataConfig", 0, "DataSource", "S3DataSource", "S3Uri"]}
            onJson={(training) => set({ training })}
          />
          <MemberField
            id="training-output"
            label="Training output location"
            hint="Where the training job writes the model artifacts (OutputDataConfig, S3OutputPath)."
            json={form.training}
            path={["OutputDataConfig", "S3OutputPath"]}
            onJson={(training) => set({ training })}
          />
          <Field
            id="training-job-definition"
            label="Training job definition"
            hint="The validation profile's TrainingJobDefinition. Checked against the API as you type; Ctrl-Space lists the members you can add here."
            error={errors[VALIDATION_KEYS.training]}
          >
            <JsonEditor
              id="training-job-definition"
              label="Training job definition"
              root="TrainingJobDefinition"
              value={form.training}
              onChange={(training) => set({ training })}
              onProblems={(p) => onProblems("training", p)}
            />
          </Field>
        </>
      )}
      <MemberField
        id="test-data"
        label="Test data location"
        hint="The data the validation's batch transform job sends to your model (TransformInput, S3Uri)."
        json={form.transform}
        path={["TransformInput", "DataSource", "S3DataSource", "S3Uri"]}
        onJson={(transform) => set({ transform })}
      />
      <MemberField
        id="transform-output"
        label="Transform output location"
        hint="Where the batch transform job writes its results (TransformOutput, S3OutputPath)."
        json={form.transform}
        path={["TransformOutput", "S3OutputPath"]}
        onJson={(transform) => set({ transform })}
      />
      <Field
        id="transform-job-definition"
        label="Transform job definition"
        hint="The validation profile's TransformJobDefinition. Checked against the API as you type; Ctrl-Space lists the members you can add here."
        error={errors[VALIDATION_KEYS.transform]}
      >
        <JsonEditor
          id="transform-job-definition"
          label="Transform job definition"
          root="TransformJobDefinition"
          value={form.transform}
          onChange={(transform) => set({ transform })}
          onProblems={(p) => onProblems("transform", p)}
        />
      </Field>
    </>
  );
}
