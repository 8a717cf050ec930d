import {
  DescribeTransformJobCommand,
  StopTransformJobCommand,
  type DescribeTransformJobCommandOutput,
} from "@aws-sdk/client-sagemaker";
import { useRoute } from "preact-iso";
import { sagemaker } from "../../aws";
import { ErrorBox, Facts, Loading, PageHeader, Section, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";
import { useLoad } from "../../hooks";
import { LogView } from "../../jobs/LogView";
import { useLogTail } from "../../jobs/logTail";
import { OutputObjects } from "../../jobs/OutputObjects";
import { FailureReason, KeyValueTable, StopButton } from "../../jobs/parts";
import { durationBetween, isLive } from "../../jobs/status";

const TRANSFORM_LOG_GROUP = "/aws/sagemaker/TransformJobs";
const NO_METRICS: never[] = [];

/** Route param: the batch transform job's name. */
export default function TransformJob() {
  const { params } = useRoute();
  const name = decodeURIComponent(params.name);
  const { data: job, error, reload } = useLoad(
    () => sagemaker().send(new DescribeTransformJobCommand({ TransformJobName: name })),
    [name],
    2000,
  );
  if (error && !job) return <ErrorBox error={error} />;
  if (!job) return <Loading />;
  return <TransformJobView job={job} error={error} reload={reload} />;
}

function TransformJobView({ job, error, reload }: { job: DescribeTransformJobCommandOutput; error?: string; reload: () => void }) {
  const name = job.TransformJobName ?? "";
  const live = isLive(job.TransformJobStatus);
  const tail = useLogTail(TRANSFORM_LOG_GROUP, name, live, NO_METRICS);
  const input = job.TransformInput;
  const output = job.TransformOutput;
  const dp = job.DataProcessing;
  return (
    <>
      <PageHeader title={name}>
        {job.TransformJobStatus === "InProgress" && (
          <StopButton
            noun="batch transform job"
            name={name}
            stop={() => sagemaker().send(new StopTransformJobCommand({ TransformJobName: name }))}
            onStopped={reload}
          />
        )}
      </PageHeader>
      <ErrorBox error={error} title="The job's status could not be refreshed." />
      <FailureReason reason={job.FailureReason} />
      <Section title="Job summary">
        <Facts
          rows={[
            ["Status", <StatusBadge status={job.TransformJobStatus} />],
            ["ARN", <code>{job.TransformJobArn}</code>],
            [
              "Model name",
              job.ModelName ? <a href={`${BASE}/models/${encodeURIComponent(job.ModelName)}`}>{job.ModelName}</a> : undefined,
            ],
            ["Creation time", formatTime(job.CreationTime)],
            ["Transform start time", formatTime(job.TransformStartTime)],
            ["Transform end time", formatTime(job.TransformEndTime)],
            ["Duration", job.TransformStartTime ? durationBetween(job.TransformStartTime, job.TransformEndTime) : undefined],
          ]}
        />
      </Section>
      <Section title="Input data configuration">
        <Facts
          rows={[
            ["S3 location", <code>{input?.DataSource?.S3DataSource?.S3Uri}</code>],
            ["S3 data type", input?.DataSource?.S3DataSource?.S3DataType],
            ["Content type", input?.ContentType],
            ["Split type", input?.SplitType ?? "None"],
            ["Compression type", input?.CompressionType ?? "None"],
          ]}
        />
      </Section>
      <Section title="Output data configuration">
        <Facts
          rows={[
            ["S3 output path", <code>{output?.S3OutputPath}</code>],
            ["Accept", output?.Accept],
            ["Assemble with", output?.AssembleWith ?? "None"],
            ["Encryption key", output?.KmsKeyId],
          ]}
        />
        <h3>Output objects</h3>
        <OutputObjects uri={output?.S3OutputPath} pollMs={live ? 3000 : 0} />
      </Section>
      <Section title="Resource configuration">
        <Facts
          rows={[
            ["Instance type", job.TransformResources?.InstanceType],
            ["Instance count", job.TransformResources?.InstanceCount],
            ["Batch strategy", job.BatchStrategy],
            ["Max concurrent transforms", job.MaxConcurrentTransforms],
            ["Max payload size (MB)", job.MaxPayloadInMB],
            ["Invocations timeout (seconds)", job.ModelClientConfig?.InvocationsTimeoutInSeconds],
            ["Invocations max retries", job.ModelClientConfig?.InvocationsMaxRetries],
          ]}
        />
        <h3>Environment</h3>
        <KeyValueTable entries={job.Environment} keyLabel="Key" empty="No environment variables." />
      </Section>
      <Section title="Input and output filtering and data joins">
        <Facts
          rows={[
            ["Input filter", dp?.InputFilter ? <code>{dp.InputFilter}</code> : "$ (the whole input)"],
            ["Join source", dp?.JoinSource ?? "None"],
            ["Output filter", dp?.OutputFilter ? <code>{dp.OutputFilter}</code> : "$ (the whole output)"],
          ]}
        />
      </Section>
      <Section title="Logs">
        <LogView tail={tail} group={TRANSFORM_LOG_GROUP} />
      </Section>
    </>
  );
}
