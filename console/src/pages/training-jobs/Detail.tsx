import {
  DescribeAlgorithmCommand,
  DescribeTrainingJobCommand,
  StopTrainingJobCommand,
  type DescribeTrainingJobCommandOutput,
} from "@aws-sdk/client-sagemaker";
import { useRoute } from "preact-iso";
import { sagemaker } from "../../aws";
import { ErrorBox, Facts, Loading, PageHeader, Section, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime, nameOfArn } from "../../format";
import { useLoad } from "../../hooks";
import { LogView } from "../../jobs/LogView";
import { MetricPlots } from "../../jobs/MetricPlots";
import { useLogTail } from "../../jobs/logTail";
import type { MetricDefinition } from "../../jobs/metrics";
import { FailureReason, StopButton } from "../../jobs/parts";
import { isLive } from "../../jobs/status";
import { Timeline } from "../../jobs/Timeline";
import { AlgorithmSection, InputSection, OutputSection, ResourcesSection } from "../../jobs/TrainingSections";

const TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs";

/** Route param: the training job's name. */
export default function TrainingJob() {
  const { params } = useRoute();
  const name = decodeURIComponent(params.name);
  const { data: job, error, reload } = useLoad(
    () => sagemaker().send(new DescribeTrainingJobCommand({ TrainingJobName: name })),
    [name],
    2000,
  );
  if (error && !job) return <ErrorBox error={error} />;
  if (!job) return <Loading />;
  return <TrainingJobView job={job} error={error} reload={reload} />;
}

function TrainingJobView({ job, error, reload }: { job: DescribeTrainingJobCommandOutput; error?: string; reload: () => void }) {
  const name = job.TrainingJobName ?? "";
  const live = isLive(job.TrainingJobStatus);
  const { definitions, error: algorithmError } = useMetricDefinitions(job);
  const tail = useLogTail(TRAINING_LOG_GROUP, name, live, definitions);
  return (
    <>
      <PageHeader title={name}>
        {job.TrainingJobStatus === "InProgress" && (
          <StopButton
            noun="training job"
            name={name}
            stop={() => sagemaker().send(new StopTrainingJobCommand({ TrainingJobName: name }))}
            onStopped={reload}
          />
        )}
      </PageHeader>
      <ErrorBox error={error} title="The job's status could not be refreshed." />
      <TuningJobLink arn={job.TuningJobArn} />
      <FailureReason reason={job.FailureReason} />
      <Section title="Job settings">
        <Facts
          rows={[
            ["Status", <StatusBadge status={job.TrainingJobStatus} />],
            ["Secondary status", <StatusBadge status={job.SecondaryStatus} />],
            ["ARN", <code>{job.TrainingJobArn}</code>],
            ["Creation time", formatTime(job.CreationTime)],
            ["Training start time", formatTime(job.TrainingStartTime)],
            ["Training end time", formatTime(job.TrainingEndTime)],
            ["Last modified time", formatTime(job.LastModifiedTime)],
            ["IAM role ARN", <code>{job.RoleArn}</code>],
            ["Network isolation", job.EnableNetworkIsolation ? "Enabled" : "Disabled"],
          ]}
        />
      </Section>
      <Section title="Status history">
        <Timeline transitions={job.SecondaryStatusTransitions} />
      </Section>
      <Section title="Metrics">
        <ErrorBox error={algorithmError} title="The algorithm's metric definitions could not be read." />
        {definitions ? <MetricPlots series={tail.metrics} following={tail.following} /> : <Loading />}
        <h3>Final metric values</h3>
        <FinalMetrics job={job} />
      </Section>
      <Section title="Logs">
        <LogView tail={tail} group={TRAINING_LOG_GROUP} />
      </Section>
      <AlgorithmSection job={job} />
      <InputSection job={job} />
      <OutputSection job={job} />
      <ResourcesSection job={job} />
    </>
  );
}

/** A child of a hyperparameter tuning job names it (DescribeTrainingJob's TuningJobArn). */
function TuningJobLink({ arn }: { arn: string | undefined }) {
  if (!arn) return null;
  const tuning = nameOfArn(arn);
  return (
    <p class="part-of">
      Part of tuning job <a href={`${BASE}/tuning-jobs/${encodeURIComponent(tuning)}`}>{tuning}</a>
    </p>
  );
}

/**
 * The metric definitions that apply, as the server applies them: the job's
 * own, or for a job of an algorithm resource the algorithm's
 * TrainingSpecification's followed by the job's of other names.
 */
function useMetricDefinitions(job: DescribeTrainingJobCommandOutput): {
  definitions: MetricDefinition[] | undefined;
  error: string | undefined;
} {
  const own = job.AlgorithmSpecification?.MetricDefinitions ?? [];
  const algorithm = job.AlgorithmSpecification?.AlgorithmName;
  const { data, error } = useLoad(
    async () => {
      if (!algorithm) return own;
      const a = await sagemaker().send(new DescribeAlgorithmCommand({ AlgorithmName: algorithm }));
      const theirs: MetricDefinition[] = a.TrainingSpecification?.MetricDefinitions ?? [];
      return [...theirs, ...own.filter((m) => !theirs.some((t) => t.Name === m.Name))];
    },
    [algorithm ?? "", JSON.stringify(own)],
  );
  // Without the algorithm's definitions, the job's own still apply.
  return { definitions: error ? own : data, error };
}

function FinalMetrics({ job }: { job: DescribeTrainingJobCommandOutput }) {
  const list = job.FinalMetricDataList ?? [];
  if (!list.length) {
    return <p class="empty">{isLive(job.TrainingJobStatus) ? "Reported when the job ends." : "No final metric values."}</p>;
  }
  return (
    <table class="list" aria-label="Final metric values">
      <thead>
        <tr>
          <th scope="col">Metric name</th>
          <th scope="col">Value</th>
          <th scope="col">Time</th>
        </tr>
      </thead>
      <tbody>
        {list.map((m) => (
          <tr key={m.MetricName}>
            <td>{m.MetricName}</td>
            <td>{m.Value}</td>
            <td>{formatTime(m.Timestamp)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
