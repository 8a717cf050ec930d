// The inference specification, shared by both create forms: the image, the
// model data (model packages only), the instance types and the content types.
import type { InferenceSpecification } from "@aws-sdk/client-sagemaker";
import { Field } from "../ui";
import { REALTIME_INSTANCE_TYPES, TRANSFORM_INSTANCE_TYPES } from "./enums.generated";
import { type FieldErrors, splitList } from "./errors";
import { ImageField } from "./ImagePicker";
import { MultiSelect } from "./MultiSelect";
import { S3Field } from "./S3Picker";

export interface InferenceForm {
  image: string;
  modelData: string;
  transformTypes: string[];
  realtimeTypes: string[];
  contentTypes: string;
  responseTypes: string;
}

export const EMPTY_INFERENCE: InferenceForm = {
  image: "",
  modelData: "",
  transformTypes: ["ml.m5.large"],
  realtimeTypes: ["ml.m5.large"],
  contentTypes: "text/csv",
  responseTypes: "text/csv",
};

/** The members these fields set, as the API names them in its errors. */
export const INFERENCE_KEYS = {
  image: "InferenceSpecification.Containers.1.Image",
  modelData: "InferenceSpecification.Containers.1.ModelDataUrl",
  transformTypes: "InferenceSpecification.SupportedTransformInstanceTypes",
  realtimeTypes: "InferenceSpecification.SupportedRealtimeInferenceInstanceTypes",
  contentTypes: "InferenceSpecification.SupportedContentTypes",
  responseTypes: "InferenceSpecification.SupportedResponseMIMETypes",
  containers: "InferenceSpecification.Containers",
};

export function inferenceSpecification(f: InferenceForm, withModelData: boolean): InferenceSpecification {
  return {
    Containers: [{ Image: f.image.trim(), ...(withModelData && f.modelData.trim() ? { ModelDataUrl: f.modelData.trim() } : {}) }],
    SupportedTransformInstanceTypes: f.transformTypes as InferenceSpecification["SupportedTransformInstanceTypes"],
    SupportedRealtimeInferenceInstanceTypes: f.realtimeTypes as InferenceSpecification["SupportedRealtimeInferenceInstanceTypes"],
    SupportedContentTypes: splitList(f.contentTypes),
    SupportedResponseMIMETypes: splitList(f.responseTypes),
  };
}

/** The client-side checks: what the API requires that is missing. */
export function inferenceProblems(f: InferenceForm, label: string): FieldErrors {
  const e: FieldErrors = {};
  if (!f.image.trim()) e[INFERENCE_KEYS.image] = `Enter the ${label.toLowerCase()}.`;
  if (!f.transformTypes.length) e[INFERENCE_KEYS.transformTypes] = "Choose at least one instance type for batch transform.";
  if (!splitList(f.contentTypes).length) e[INFERENCE_KEYS.contentTypes] = "Enter at least one content type.";
  if (!splitList(f.responseTypes).length) e[INFERENCE_KEYS.responseTypes] = "Enter at least one response MIME type.";
  return e;
}

export function InferenceFields({
  form,
  set,
  errors,
  withModelData,
  imageLabel = "Location of inference image",
}: {
  form: InferenceForm;
  set: (patch: Partial<InferenceForm>) => void;
  errors: FieldErrors;
  withModelData: boolean;
  imageLabel?: string;
}) {
  return (
    <>
      <ImageField
        id="inference-image"
        label={imageLabel}
        hint="The image that serves predictions (the /invocations and /ping contract), from the registry or any reference the container engine can pull."
        value={form.image}
        onChange={(image) => set({ image })}
        error={errors[INFERENCE_KEYS.image] ?? errors[INFERENCE_KEYS.containers]}
      />
      {withModelData && (
        <S3Field
          id="model-data"
          label="Location of model data artifacts"
          hint="The model.tar.gz the container finds under /opt/ml/model (optional when the image holds its model)."
          folders={false}
          value={form.modelData}
          onChange={(modelData) => set({ modelData })}
          error={errors[INFERENCE_KEYS.modelData]}
        />
      )}
      <MultiSelect
        id="transform-instance-types"
        label="Supported instance types for batch transform"
        options={TRANSFORM_INSTANCE_TYPES}
        value={form.transformTypes}
        onChange={(transformTypes) => set({ transformTypes })}
        error={errors[INFERENCE_KEYS.transformTypes]}
      />
      <MultiSelect
        id="realtime-instance-types"
        label="Supported instance types for real-time inference"
        options={REALTIME_INSTANCE_TYPES}
        value={form.realtimeTypes}
        onChange={(realtimeTypes) => set({ realtimeTypes })}
        error={errors[INFERENCE_KEYS.realtimeTypes]}
      />
      <Field id="content-types" label="Supported content types" hint="MIME types of the requests, separated by commas." error={errors[INFERENCE_KEYS.contentTypes]}>
        <input id="content-types" value={form.contentTypes} onInput={(e) => set({ contentTypes: (e.target as HTMLInputElement).value })} />
      </Field>
      <Field id="response-types" label="Supported response MIME types" hint="MIME types of the responses, separated by commas." error={errors[INFERENCE_KEYS.responseTypes]}>
        <input id="response-types" value={form.responseTypes} onInput={(e) => set({ responseTypes: (e.target as HTMLInputElement).value })} />
      </Field>
    </>
  );
}
