// The configuration sections of a training job's page: algorithm, input
// channels, output and resources, as DescribeTrainingJob returns them.
import type { DescribeTrainingJobCommandOutput } from "@aws-sdk/client-sagemaker";
import { Facts, Section } from "../components/ui";
import { BASE } from "../config";
import { KeyValueTable, S3Object } from "./parts";
import { formatSeconds } from "./status";

type Job = DescribeTrainingJobCommandOutput;

export function AlgorithmSection({ job }: { job: Job }) {
  const a = job.AlgorithmSpecification;
  const defs = a?.MetricDefinitions ?? [];
  return (
    <Section title="Algorithm">
      <Facts
        rows={[
          a?.AlgorithmName
            ? [
                "Algorithm",
                <a href={`${BASE}/algorithms/${encodeURIComponent(a.AlgorithmName)}`}>{a.AlgorithmName}</a>,
              ]
            : ["Training image", <code>{a?.TrainingImage}</code>],
          ["Input mode", a?.TrainingInputMode],
          ["Container entrypoint", a?.ContainerEntrypoint?.length ? <code>{a.ContainerEntrypoint.join(" ")}</code> : undefined],
          ["Container arguments", a?.ContainerArguments?.length ? <code>{a.ContainerArguments.join(" ")}</code> : undefined],
        ]}
      />
      <h3>Hyperparameters</h3>
      <KeyValueTable entries={job.HyperParameters} keyLabel="Key" empty="No hyperparameters." />
      {defs.length > 0 && (
        <>
          <h3>Metric definitions</h3>
          <KeyValueTable
            entries={Object.fromEntries(defs.map((d) => [d.Name ?? "", d.Regex ?? ""]))}
            keyLabel="Metric name"
            valueLabel="Regex"
            empty=""
          />
        </>
      )}
    </Section>
  );
}

export function InputSection({ job }: { job: Job }) {
  const channels = job.InputDataConfig ?? [];
  // A heterogeneous cluster's channels may go to some instance groups only.
  const grouped = channels.some((c) => (c.DataSource?.S3DataSource?.InstanceGroupNames ?? []).length > 0);
  return (
    <Section title="Input data configuration">
      {channels.length === 0 ? (
        <p class="empty">No input channels.</p>
      ) : (
        <div class="table-scroll">
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Channel name</th>
                <th scope="col">S3 location</th>
                <th scope="col">S3 data type</th>
                <th scope="col">Content type</th>
                <th scope="col">Compression type</th>
                <th scope="col">Input mode</th>
                <th scope="col">Distribution</th>
                {grouped && <th scope="col">Instance groups</th>}
              </tr>
            </thead>
            <tbody>
              {channels.map((c) => {
                const s = c.DataSource?.S3DataSource;
                return (
                  <tr key={c.ChannelName}>
                    <td>{c.ChannelName}</td>
                    <td>
                      <code>{s?.S3Uri ?? (c.DataSource?.FileSystemDataSource ? "file system" : "—")}</code>
                    </td>
                    <td>{s?.S3DataType ?? "—"}</td>
                    <td>{c.ContentType ?? "—"}</td>
                    <td>{c.CompressionType ?? "None"}</td>
                    <td>{c.InputMode ?? job.AlgorithmSpecification?.TrainingInputMode ?? "—"}</td>
                    <td>{s?.S3DataDistributionType ?? "—"}</td>
                    {grouped && <td>{s?.InstanceGroupNames?.length ? s.InstanceGroupNames.join(", ") : "all"}</td>}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

export function OutputSection({ job }: { job: Job }) {
  const artifact = job.ModelArtifacts?.S3ModelArtifacts;
  return (
    <Section title="Output">
      <Facts
        rows={[
          ["S3 output path", <code>{job.OutputDataConfig?.S3OutputPath}</code>],
          [
            "Model artifact",
            artifact ? (
              <S3Object uri={artifact} label="Download model artifact" />
            ) : job.TrainingJobStatus === "Completed" ? (
              "—"
            ) : (
              "Written when training completes."
            ),
          ],
          ["Output compression", job.OutputDataConfig?.CompressionType],
          ["Checkpoint S3 URI", job.CheckpointConfig?.S3Uri ? <code>{job.CheckpointConfig.S3Uri}</code> : undefined],
          [
            "Checkpoint local path",
            job.CheckpointConfig ? <code>{job.CheckpointConfig.LocalPath ?? "/opt/ml/checkpoints"}</code> : undefined,
          ],
          ["Encryption key", job.OutputDataConfig?.KmsKeyId],
        ]}
      />
    </Section>
  );
}

export function ResourcesSection({ job }: { job: Job }) {
  const r = job.ResourceConfig;
  const s = job.StoppingCondition;
  return (
    <Section title="Resource configuration">
      <Facts
        rows={[
          ["Instance type", r?.InstanceType],
          ["Instance count", r?.InstanceCount],
          ...(r?.InstanceGroups ?? []).map(
            (g): [string, string] => [
              `Instance group ${g.InstanceGroupName ?? ""}`,
              `${g.InstanceCount ?? 0} × ${g.InstanceType ?? ""}`,
            ],
          ),
          ["Managed spot training", job.EnableManagedSpotTraining ? "Enabled" : "Disabled"],
          ["Additional storage volume per instance (GB)", r?.VolumeSizeInGB],
          ["Maximum runtime", s?.MaxRuntimeInSeconds !== undefined ? formatSeconds(s.MaxRuntimeInSeconds) : undefined],
          ["Maximum wait time", s?.MaxWaitTimeInSeconds !== undefined ? formatSeconds(s.MaxWaitTimeInSeconds) : undefined],
          ["Training time", job.TrainingTimeInSeconds !== undefined ? formatSeconds(job.TrainingTimeInSeconds) : undefined],
          ["Billable time", job.BillableTimeInSeconds !== undefined ? formatSeconds(job.BillableTimeInSeconds) : undefined],
        ]}
      />
      <h3>Environment</h3>
      <KeyValueTable entries={job.Environment} keyLabel="Key" empty="No environment variables." />
    </Section>
  );
}
