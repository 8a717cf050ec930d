// Create model package: the seller guide's flow. Step 1 the inference
// specification (image, model data, instance and content types), step 2 the
// validation specification (AWS Marketplace, IAM role, the validation
// profile's transform job in an editor that knows its shape).
import { CreateModelPackageCommand, type TransformJobDefinition } from "@aws-sdk/client-sagemaker";
import { useLocation } from "preact-iso";
import { useRef, useState } from "preact/hooks";
import { sagemaker } from "../../aws";
import { EXAMPLE_TRANSFORM_JOB_DEFINITION, pretty } from "../../components/resources/examples";
import { type FieldErrors, nameProblem, profileFieldOf } from "../../components/resources/errors";
import {
  EMPTY_INFERENCE,
  INFERENCE_KEYS,
  type InferenceForm,
  InferenceFields,
  inferenceProblems,
  inferenceSpecification,
} from "../../components/resources/InferenceFields";
import { useCreateForm } from "../../components/resources/useCreateForm";
import {
  type EditorProblems,
  VALIDATION_KEYS,
  type ValidationForm,
  ValidationFields,
  validationProblems,
} from "../../components/resources/ValidationFields";
import { Wizard } from "../../components/resources/Wizard";
import { ErrorBox, Field, PageHeader } from "../../components/ui";
import { BASE } from "../../config";

const NAME = "ModelPackageName";
const DESCRIPTION = "ModelPackageDescription";
const STEPS = ["Inference specification", "Validation specification"];

export default function CreateModelPackage() {
  const { route } = useLocation();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [inference, setInference] = useState<InferenceForm>(EMPTY_INFERENCE);
  const [validation, setValidation] = useState<ValidationForm>({
    certify: true,
    role: "",
    profileName: "validation-profile",
    transform: pretty(EXAMPLE_TRANSFORM_JOB_DEFINITION),
    training: "",
  });
  const problems = useRef<EditorProblems>({ transform: [], training: [] });

  const form = useCreateForm({
    steps: [[NAME, DESCRIPTION, "InferenceSpecification"], ["CertifyForMarketplace", "ValidationSpecification"]],
    checkStep: (i): FieldErrors => {
      if (i === 0) {
        const e = inferenceProblems(inference, "location of inference image");
        const n = nameProblem(name, "model package");
        return n ? { [NAME]: n, ...e } : e;
      }
      return validationProblems(validation, problems.current, false);
    },
    fields: [NAME, DESCRIPTION, ...Object.values(INFERENCE_KEYS), ...Object.values(VALIDATION_KEYS)],
    nameField: NAME,
    guess: (m) => profileFieldOf(m, VALIDATION_KEYS.transform, VALIDATION_KEYS.training),
  });
  const { errors } = form;

  const create = () =>
    form.submit(async () => {
      const out = await sagemaker().send(
        new CreateModelPackageCommand({
          ModelPackageName: name.trim(),
          ModelPackageDescription: description.trim() || undefined,
          InferenceSpecification: inferenceSpecification(inference, true),
          ValidationSpecification: {
            ValidationRole: validation.role.trim(),
            ValidationProfiles: [
              {
                ProfileName: validation.profileName.trim(),
                TransformJobDefinition: JSON.parse(validation.transform) as TransformJobDefinition,
              },
            ],
          },
          CertifyForMarketplace: validation.certify,
        }),
      );
      route(`${BASE}/model-packages/${encodeURIComponent(out.ModelPackageArn ?? name)}`);
    });

  return (
    <>
      <PageHeader title="Create model package" />
      <ErrorBox error={form.topError} title="The model package was not created." />
      <Wizard
        steps={STEPS}
        current={form.step}
        onStep={form.setStep}
        withErrors={form.withErrors}
        onNext={form.next}
        finish={
          <button type="button" class="primary" disabled={form.busy} onClick={create}>
            {form.busy ? "Creating…" : "Create model package"}
          </button>
        }
      >
        {form.step === 0 ? (
          <>
            <Field id="name" label="Model package name" hint="1–63 letters, digits and hyphens." error={errors[NAME]}>
              <input id="name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            </Field>
            <Field id="description" label="Description (optional)" error={errors[DESCRIPTION]}>
              <textarea id="description" rows={2} value={description} onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)} />
            </Field>
            <InferenceFields
              form={inference}
              set={(p) => setInference((f) => ({ ...f, ...p }))}
              errors={errors}
              withModelData
            />
          </>
        ) : (
          <ValidationFields
            form={validation}
            set={(p) => setValidation((f) => ({ ...f, ...p }))}
            errors={errors}
            noun="model package"
            withTraining={false}
            onProblems={(k, p) => (problems.current = { ...problems.current, [k]: p })}
          />
        )}
      </Wizard>
    </>
  );
}
