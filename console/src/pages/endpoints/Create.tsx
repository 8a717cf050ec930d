import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  DeleteEndpointConfigCommand,
  ListModelsCommand,
  type ModelSummary,
  type ProductionVariantInstanceType,
} from "@aws-sdk/client-sagemaker";
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { describeError, erroredMember, sagemaker } from "../../aws";
import { INSTANCE_TYPES } from "../../components/endpoints/instanceTypes";
import { ErrorBox, Field, PageHeader } from "../../components/ui";
import { BASE } from "../../config";
import { useLoad } from "../../hooks";

type Member = "EndpointName" | "EndpointConfigName" | "ModelName" | "InstanceType" | "InitialInstanceCount" | "VariantName";

/** The form field an error of CreateEndpointConfig / CreateEndpoint is about. */
function memberOf(e: unknown, step: "config" | "endpoint"): Member | undefined {
  const m = erroredMember(e);
  const last = m?.split(".").pop();
  if (last && ["EndpointName", "EndpointConfigName", "ModelName", "InstanceType", "InitialInstanceCount", "VariantName"].includes(last)) {
    return last as Member;
  }
  // Slipway's own checks name the subject in words rather than "at '…'".
  const message = (e as { message?: string }).message ?? "";
  if (/already existing endpoint configuration/.test(message)) return "EndpointConfigName";
  if (/already existing endpoint/.test(message)) return "EndpointName";
  if (/^Instance type|instance type/i.test(message)) return "InstanceType";
  if (/Could not find model/.test(message)) return "ModelName";
  return step === "endpoint" && /endpoint name/i.test(message) ? "EndpointName" : undefined;
}

async function allModels(): Promise<ModelSummary[]> {
  const models: ModelSummary[] = [];
  let token: string | undefined;
  // A console pick list: the newest 500 are plenty.
  do {
    const out = await sagemaker().send(
      new ListModelsCommand({ SortBy: "CreationTime", SortOrder: "Descending", MaxResults: 100, NextToken: token }),
    );
    models.push(...(out.Models ?? []));
    token = out.NextToken;
  } while (token && models.length < 500);
  return models;
}

export default function CreateEndpoint() {
  const { route, query } = useLocation();
  const models = useLoad(allModels, []);
  const [name, setName] = useState("");
  const [configName, setConfigName] = useState("");
  const [configEdited, setConfigEdited] = useState(false);
  const [model, setModel] = useState(query.model ?? "");
  const [variant, setVariant] = useState("AllTraffic");
  const [instanceType, setInstanceType] = useState("ml.m5.large");
  const [count, setCount] = useState("1");
  const [error, setError] = useState<{ member?: Member; message: string }>();
  const [busy, setBusy] = useState(false);
  const chosenModel = model || models.data?.[0]?.ModelName || "";
  const effectiveConfig = configEdited ? configName : name.trim() ? `${name.trim()}-config`.slice(0, 63) : "";
  const at = (m: Member) => (error?.member === m ? error.message : undefined);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    let step: "config" | "endpoint" = "config";
    try {
      await sagemaker().send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: effectiveConfig,
          ProductionVariants: [
            {
              VariantName: variant.trim(),
              ModelName: chosenModel,
              InstanceType: instanceType.trim() as ProductionVariantInstanceType,
              InitialInstanceCount: Number(count),
              InitialVariantWeight: 1,
            },
          ],
        }),
      );
      step = "endpoint";
      await sagemaker().send(new CreateEndpointCommand({ EndpointName: name.trim(), EndpointConfigName: effectiveConfig }));
      route(`${BASE}/endpoints/${encodeURIComponent(name.trim())}`);
    } catch (err) {
      if (step === "endpoint") {
        // The config was made for this endpoint only: remove it, so that
        // correcting the form and creating again does not collide with it.
        await sagemaker().send(new DeleteEndpointConfigCommand({ EndpointConfigName: effectiveConfig })).catch(() => {});
      }
      setError({ member: memberOf(err, step), message: describeError(err) });
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader title="Create endpoint" />
      <p class="intro">
        An endpoint serves a model for real-time inference on instances of one type. This form creates an endpoint
        configuration with one production variant, then the endpoint; its containers start at once.
      </p>
      <form class="panel" onSubmit={submit}>
        <Field label="Endpoint name" id="endpoint-name" hint="Up to 63 letters, digits and hyphens." error={at("EndpointName")}>
          <input id="endpoint-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label="Endpoint configuration name" id="endpoint-config-name" error={at("EndpointConfigName")}>
          <input
            id="endpoint-config-name"
            required
            value={effectiveConfig}
            onInput={(e) => {
              setConfigEdited(true);
              setConfigName((e.target as HTMLInputElement).value);
            }}
          />
        </Field>
        <Field label="Model" id="endpoint-model" error={at("ModelName") ?? models.error}>
          <select id="endpoint-model" required value={chosenModel} onChange={(e) => setModel((e.target as HTMLSelectElement).value)}>
            {models.data?.length === 0 && <option value="">No models: create one first</option>}
            {models.data?.map((m) => (
              <option key={m.ModelName} value={m.ModelName}>
                {m.ModelName}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Variant name" id="endpoint-variant" error={at("VariantName")}>
          <input id="endpoint-variant" required value={variant} onInput={(e) => setVariant((e.target as HTMLInputElement).value)} />
        </Field>
        <Field
          label="Instance type"
          id="endpoint-instance-type"
          hint="A model made from a model package may only use its supported real-time instance types."
          error={at("InstanceType")}
        >
          <input
            id="endpoint-instance-type"
            list="endpoint-instance-types"
            required
            value={instanceType}
            onInput={(e) => setInstanceType((e.target as HTMLInputElement).value)}
          />
          <datalist id="endpoint-instance-types">
            {INSTANCE_TYPES.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </Field>
        <Field label="Initial instance count" id="endpoint-count" error={at("InitialInstanceCount")}>
          <input
            id="endpoint-count"
            type="number"
            min={1}
            required
            value={count}
            onInput={(e) => setCount((e.target as HTMLInputElement).value)}
          />
        </Field>
        {error && !error.member && <ErrorBox error={error.message} />}
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || !chosenModel}>
            {busy ? "Creating…" : "Create endpoint"}
          </button>
          <a class="button" href={`${BASE}/endpoints`}>
            Cancel
          </a>
        </div>
      </form>
    </>
  );
}
