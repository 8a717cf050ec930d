// Create algorithm: the seller guide's flow in five steps: the training
// image and instance types, the channels, the hyperparameters and metrics,
// the inference specification, then validation (a profile with a training
// job and a transform job, each JSON in an editor that knows its shape).
import {
  CreateAlgorithmCommand,
  type TrainingJobDefinition,
  type TrainingSpecification,
  type TransformJobDefinition,
} from "@aws-sdk/client-sagemaker";
import { useLocation } from "preact-iso";
import { useRef, useState } from "preact/hooks";
import { sagemaker } from "../../aws";
import { type ChannelRow, channelKeys, channelProblems, channelSpecs, ChannelsEditor, newChannel } from "../../components/resources/ChannelsEditor";
import { TRAINING_INSTANCE_TYPES } from "../../components/resources/enums.generated";
import { type FieldErrors, nameProblem, profileFieldOf } from "../../components/resources/errors";
import { EXAMPLE_TRAINING_JOB_DEFINITION, EXAMPLE_TRANSFORM_JOB_DEFINITION, pretty } from "../../components/resources/examples";
import { HYPERPARAMETERS, type HyperRow, hyperKeys, hyperProblems, hyperSpecs, HyperparametersEditor } from "../../components/resources/HyperparametersEditor";
import { ImageField } from "../../components/resources/ImagePicker";
import { EMPTY_INFERENCE, INFERENCE_KEYS, type InferenceForm, InferenceFields, inferenceProblems, inferenceSpecification } from "../../components/resources/InferenceFields";
import { type MetricRow, metricKeys, metricProblems, metricSpecs, MetricsEditor, objectiveSpecs } from "../../components/resources/MetricsEditor";
import { MultiSelect } from "../../components/resources/MultiSelect";
import { useCreateForm } from "../../components/resources/useCreateForm";
import { type EditorProblems, VALIDATION_KEYS, type ValidationForm, ValidationFields, validationProblems } from "../../components/resources/ValidationFields";
import { Wizard } from "../../components/resources/Wizard";
import { ErrorBox, Field, PageHeader } from "../../components/ui";
import { BASE } from "../../config";

const NAME = "AlgorithmName";
const DESCRIPTION = "AlgorithmDescription";
const IMAGE = "TrainingSpecification.TrainingImage";
const INSTANCE_TYPES = "TrainingSpecification.SupportedTrainingInstanceTypes";
const DISTRIBUTED = "TrainingSpecification.SupportsDistributedTraining";
const STEPS = ["Training specification", "Channel specification", "Hyperparameters and metrics", "Inference specification", "Validation specification"];

export default function CreateAlgorithm() {
  const { route } = useLocation();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [image, setTrainingImage] = useState("");
  const [instanceTypes, setInstanceTypes] = useState<string[]>(["ml.m5.large"]);
  const [distributed, setDistributed] = useState(false);
  const [channels, setChannels] = useState<ChannelRow[]>([newChannel("train")]);
  const [hypers, setHypers] = useState<HyperRow[]>([]);
  const [metrics, setMetrics] = useState<MetricRow[]>([]);
  const [inference, setInference] = useState<InferenceForm>(EMPTY_INFERENCE);
  const [validation, setValidation] = useState<ValidationForm>({
    certify: true,
    role: "",
    profileName: "validation-profile",
    training: pretty(EXAMPLE_TRAINING_JOB_DEFINITION),
    transform: pretty(EXAMPLE_TRANSFORM_JOB_DEFINITION),
  });
  const problems = useRef<EditorProblems>({ transform: [], training: [] });
  // Most algorithms serve from their training image: the inference image follows it until edited.
  const setImage = (v: string) => {
    setInference((f) => (f.image === image ? { ...f, image: v } : f));
    setTrainingImage(v);
  };

  const form = useCreateForm({
    steps: [
      [NAME, DESCRIPTION, "TrainingSpecification"],
      ["TrainingSpecification.TrainingChannels"],
      [HYPERPARAMETERS, "TrainingSpecification.MetricDefinitions", "TrainingSpecification.SupportedTuningJobObjectiveMetrics"],
      ["InferenceSpecification"],
      ["CertifyForMarketplace", "ValidationSpecification"],
    ],
    checkStep: (i): FieldErrors => {
      switch (i) {
        case 0: {
          const e: FieldErrors = {};
          const n = nameProblem(name, "algorithm");
          if (n) e[NAME] = n;
          if (!image.trim()) e[IMAGE] = "Enter the training image.";
          if (!instanceTypes.length) e[INSTANCE_TYPES] = "Choose at least one training instance type.";
          return e;
        }
        case 1:
          return channelProblems(channels);
        case 2:
          return { ...hyperProblems(hypers), ...metricProblems(metrics) };
        case 3:
          return inferenceProblems(inference, "location of inference image");
        default:
          return validationProblems(validation, problems.current, true);
      }
    },
    fields: [
      NAME,
      DESCRIPTION,
      IMAGE,
      INSTANCE_TYPES,
      DISTRIBUTED,
      "TrainingSpecification.TrainingChannels",
      ...channelKeys(channels),
      ...hyperKeys(hypers),
      ...metricKeys(metrics),
      ...Object.values(INFERENCE_KEYS),
      ...Object.values(VALIDATION_KEYS),
    ],
    nameField: NAME,
    guess: (m) => {
      // "Hyperparameter 'epochs' has MinValue 5 greater than MaxValue 1." is about that row.
      const h = /hyperparameter '([^']+)'/i.exec(m);
      const row = h && !/algorithm/.test(m) ? hypers.findIndex((x) => x.name.trim() === h[1]) : -1;
      if (row >= 0) return `${HYPERPARAMETERS}.${row + 1}.Range`;
      return profileFieldOf(m, VALIDATION_KEYS.transform, VALIDATION_KEYS.training);
    },
  });
  const { errors } = form;

  const create = () =>
    form.submit(async () => {
      const training: TrainingSpecification = {
        TrainingImage: image.trim(),
        SupportedTrainingInstanceTypes: instanceTypes as TrainingSpecification["SupportedTrainingInstanceTypes"],
        SupportsDistributedTraining: distributed,
        TrainingChannels: channelSpecs(channels),
        SupportedHyperParameters: hypers.length ? hyperSpecs(hypers) : undefined,
        MetricDefinitions: metrics.length ? metricSpecs(metrics) : undefined,
        SupportedTuningJobObjectiveMetrics: objectiveSpecs(metrics).length ? objectiveSpecs(metrics) : undefined,
      };
      await sagemaker().send(
        new CreateAlgorithmCommand({
          AlgorithmName: name.trim(),
          AlgorithmDescription: description.trim() || undefined,
          TrainingSpecification: training,
          InferenceSpecification: inferenceSpecification(inference, false),
          ValidationSpecification: {
            ValidationRole: validation.role.trim(),
            ValidationProfiles: [
              {
                ProfileName: validation.profileName.trim(),
                TrainingJobDefinition: JSON.parse(validation.training) as TrainingJobDefinition,
                TransformJobDefinition: validation.transform.trim()
                  ? (JSON.parse(validation.transform) as TransformJobDefinition)
                  : undefined,
              },
            ],
          },
          CertifyForMarketplace: validation.certify,
        }),
      );
      route(`${BASE}/algorithms/${encodeURIComponent(name.trim())}`);
    });

  return (
    <>
      <PageHeader title="Create algorithm" />
      <ErrorBox error={form.topError} title="The algorithm was not created." />
      <Wizard
        steps={STEPS}
        current={form.step}
        onStep={form.setStep}
        withErrors={form.withErrors}
        onNext={form.next}
        finish={
          <button type="button" class="primary" disabled={form.busy} onClick={create}>
            {form.busy ? "Creating…" : "Create algorithm"}
          </button>
        }
      >
        {form.step === 0 && (
          <>
            <Field id="name" label="Algorithm name" hint="1–63 letters, digits and hyphens." error={errors[NAME]}>
              <input id="name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            </Field>
            <Field id="description" label="Description (optional)" error={errors[DESCRIPTION]}>
              <textarea id="description" rows={2} value={description} onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)} />
            </Field>
            <ImageField
              id="training-image"
              label="Training image"
              hint="The image that trains (run with the argument train), from the registry or any reference the container engine can pull."
              value={image}
              onChange={setImage}
              error={errors[IMAGE]}
            />
            <MultiSelect
              id="training-instance-types"
              label="Training instance types"
              options={TRAINING_INSTANCE_TYPES}
              value={instanceTypes}
              onChange={setInstanceTypes}
              error={errors[INSTANCE_TYPES]}
            />
            <label class="check">
              <input type="checkbox" checked={distributed} onChange={(e) => setDistributed((e.target as HTMLInputElement).checked)} /> Supports
              distributed training
            </label>
          </>
        )}
        {form.step === 1 && <ChannelsEditor rows={channels} onChange={setChannels} errors={errors} />}
        {form.step === 2 && (
          <>
            <h3>Hyperparameters</h3>
            <HyperparametersEditor rows={hypers} onChange={setHypers} errors={errors} />
            <h3>Metric definitions</h3>
            <MetricsEditor rows={metrics} onChange={setMetrics} errors={errors} />
          </>
        )}
        {form.step === 3 && (
          <InferenceFields form={inference} set={(p) => setInference((f) => ({ ...f, ...p }))} errors={errors} withModelData={false} />
        )}
        {form.step === 4 && (
          <ValidationFields
            form={validation}
            set={(p) => setValidation((f) => ({ ...f, ...p }))}
            errors={errors}
            noun="algorithm"
            withTraining
            onProblems={(k, p) => (problems.current = { ...problems.current, [k]: p })}
          />
        )}
      </Wizard>
    </>
  );
}
