// How a model package's or an algorithm's specification reads on its page:
// validation (per profile: status, its jobs, why it failed), containers,
// channels, hyperparameters and metrics, as tables.
import type {
  AlgorithmStatusItem,
  ChannelSpecification,
  HyperParameterSpecification,
  HyperParameterTuningJobObjective,
  InferenceSpecification,
  MetricDefinition,
  ModelPackageStatusItem,
} from "@aws-sdk/client-sagemaker";
import { BASE } from "../../config";
import { useLoad } from "../../hooks";
import { Facts, StatusBadge } from "../ui";
import { findValidationJobs } from "./jobs";

const list = (v: string[] | undefined) => (v?.length ? v.join(", ") : "—");

/** Why a validation failed (each profile's reason), first thing on the page. */
export function FailureBanner({ noun, statuses }: { noun: string; statuses: (ModelPackageStatusItem | AlgorithmStatusItem)[] | undefined }) {
  const reasons = statuses?.filter((s) => s.FailureReason) ?? [];
  return (
    <div class="error-box failure-reason" role="alert">
      <strong>Validation of this {noun} failed.</strong>
      {reasons.length ? (
        reasons.map((s) => (
          <span class="reason" key={s.Name}>
            {s.FailureReason}
          </span>
        ))
      ) : (
        <span class="reason">No reason was given.</span>
      )}
    </div>
  );
}

function JobLinks({
  resource,
  version,
  profile,
  created,
  withTraining,
  active,
}: {
  resource: string;
  version?: number;
  profile: string;
  created?: Date;
  withTraining: boolean;
  active: boolean;
}) {
  const jobs = useLoad(
    () => findValidationJobs(resource, version, profile, created, withTraining),
    [resource, version, profile],
    active ? 3000 : 0,
  );
  const j = jobs.data;
  if (jobs.error) return <span class="muted">Jobs not listed: {jobs.error}</span>;
  if (!j) return <span class="muted">…</span>;
  return (
    <>
      {withTraining && (
        <div>
          Training job:{" "}
          {j.training ? <a href={`${BASE}/training-jobs/${encodeURIComponent(j.training)}`}>{j.training}</a> : <span class="muted">not started</span>}
        </div>
      )}
      <div>
        Transform job:{" "}
        {j.transform ? <a href={`${BASE}/transform-jobs/${encodeURIComponent(j.transform)}`}>{j.transform}</a> : <span class="muted">not started</span>}
      </div>
    </>
  );
}

export function ValidationTable({
  resource,
  version,
  created,
  statuses,
  withTraining,
}: {
  resource: string;
  version?: number;
  created?: Date;
  statuses: (ModelPackageStatusItem | AlgorithmStatusItem)[] | undefined;
  withTraining: boolean;
}) {
  if (!statuses?.length) return <p class="empty">No validation profiles: nothing is validated.</p>;
  return (
    <div class="table-scroll">
      <table class="list validation-statuses">
        <thead>
          <tr>
            <th scope="col">Validation profile</th>
            <th scope="col">Status</th>
            <th scope="col">Jobs</th>
          </tr>
        </thead>
        <tbody>
          {statuses.map((v) => (
            <tr key={v.Name}>
              <td>{v.Name}</td>
              <td>
                <StatusBadge status={v.Status} />
              </td>
              <td>
                <JobLinks
                  resource={resource}
                  version={version}
                  profile={v.Name ?? ""}
                  created={created}
                  withTraining={withTraining}
                  active={v.Status === "InProgress" || v.Status === "NotStarted"}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function InferenceSpecificationView({ spec }: { spec: InferenceSpecification | undefined }) {
  if (!spec) return <p class="empty">No inference specification.</p>;
  return (
    <>
      <div class="table-scroll">
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Inference image</th>
              <th scope="col">Model data artifacts</th>
              <th scope="col">Environment</th>
            </tr>
          </thead>
          <tbody>
            {spec.Containers?.map((c, i) => (
              <tr key={i}>
                <td>
                  <code>{c.Image}</code>
                  {c.ImageDigest && <div class="muted">{c.ImageDigest}</div>}
                </td>
                <td>{c.ModelDataUrl ? <code>{c.ModelDataUrl}</code> : "—"}</td>
                <td>{c.Environment ? Object.entries(c.Environment).map(([k, v]) => <div key={k}><code>{k}={v}</code></div>) : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Facts
        rows={[
          ["Supported instance types for batch transform", list(spec.SupportedTransformInstanceTypes)],
          ["Supported instance types for real-time inference", list(spec.SupportedRealtimeInferenceInstanceTypes)],
          ["Supported content types", list(spec.SupportedContentTypes)],
          ["Supported response MIME types", list(spec.SupportedResponseMIMETypes)],
        ]}
      />
    </>
  );
}

export function ChannelsTable({ channels }: { channels: ChannelSpecification[] | undefined }) {
  if (!channels?.length) return <p class="empty">No channels.</p>;
  return (
    <div class="table-scroll">
      <table class="list">
        <caption class="visually-hidden">Channels</caption>
        <thead>
          <tr>
            <th scope="col">Channel</th>
            <th scope="col">Required</th>
            <th scope="col">Content types</th>
            <th scope="col">Input modes</th>
            <th scope="col">Compression</th>
            <th scope="col">Description</th>
          </tr>
        </thead>
        <tbody>
          {channels.map((c) => (
            <tr key={c.Name}>
              <td>{c.Name}</td>
              <td>{c.IsRequired ? "Yes" : "No"}</td>
              <td>{list(c.SupportedContentTypes)}</td>
              <td>{list(c.SupportedInputModes)}</td>
              <td>{list(c.SupportedCompressionTypes)}</td>
              <td>{c.Description ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function rangeOf(h: HyperParameterSpecification): string {
  const r = h.Range;
  const n = r?.IntegerParameterRangeSpecification ?? r?.ContinuousParameterRangeSpecification;
  if (n) return `${n.MinValue} – ${n.MaxValue}`;
  if (r?.CategoricalParameterRangeSpecification) return list(r.CategoricalParameterRangeSpecification.Values);
  return "—";
}

export function HyperparametersTable({ params }: { params: HyperParameterSpecification[] | undefined }) {
  if (!params?.length) return <p class="empty">No hyperparameters.</p>;
  return (
    <div class="table-scroll">
      <table class="list">
        <caption class="visually-hidden">Hyperparameters</caption>
        <thead>
          <tr>
            <th scope="col">Hyperparameter</th>
            <th scope="col">Type</th>
            <th scope="col">Range</th>
            <th scope="col">Default</th>
            <th scope="col">Tunable</th>
            <th scope="col">Required</th>
          </tr>
        </thead>
        <tbody>
          {params.map((h) => (
            <tr key={h.Name}>
              <td>
                {h.Name}
                {h.Description && <div class="muted">{h.Description}</div>}
              </td>
              <td>{h.Type}</td>
              <td>{rangeOf(h)}</td>
              <td>{h.DefaultValue ?? "—"}</td>
              <td>{h.IsTunable ? "Yes" : "No"}</td>
              <td>{h.IsRequired ? "Yes" : "No"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function MetricsTable({
  metrics,
  objectives,
}: {
  metrics: MetricDefinition[] | undefined;
  objectives: HyperParameterTuningJobObjective[] | undefined;
}) {
  if (!metrics?.length) return <p class="empty">No metric definitions.</p>;
  return (
    <div class="table-scroll">
      <table class="list">
        <caption class="visually-hidden">Metric definitions</caption>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col">Regex</th>
            <th scope="col">Tuning objective</th>
          </tr>
        </thead>
        <tbody>
          {metrics.map((m) => (
            <tr key={m.Name}>
              <td>{m.Name}</td>
              <td>
                <code>{m.Regex}</code>
              </td>
              <td>{objectives?.find((o) => o.MetricName === m.Name)?.Type ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A job definition of a validation profile, as JSON, folded. */
export function DefinitionView({ title, value }: { title: string; value: unknown }) {
  if (!value) return null;
  return (
    <details>
      <summary>{title}</summary>
      <pre>{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}
