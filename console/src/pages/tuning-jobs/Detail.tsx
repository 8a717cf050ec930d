import {
  DeleteHyperParameterTuningJobCommand,
  DescribeHyperParameterTuningJobCommand,
  StopHyperParameterTuningJobCommand,
} from "@aws-sdk/client-sagemaker";
import { useState } from "preact/hooks";
import { useLocation, useRoute } from "preact-iso";
import { sagemaker } from "../../aws";
import { DeleteButton } from "../../components/resources/DeleteButton";
import { ErrorBox, Facts, Loading, PageHeader, Section, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";
import { useLoad } from "../../hooks";
import { FailureReason, StopButton } from "../../jobs/parts";
import { isLive } from "../../jobs/status";
import { ChildrenTable } from "../../tuning/ChildrenTable";
import { listChildren, maximizes, type ChildOrder, type TuningJob } from "../../tuning/model";
import { ObjectiveChart } from "../../tuning/ObjectiveChart";
import { BestSection, ConfigSection, CountersSection } from "../../tuning/Sections";

/** How often a running tuning job and its children are read again. */
const POLL_MS = 2000;

/** Route param: the tuning job's name. */
export default function TuningJobPage() {
  const { params } = useRoute();
  const name = decodeURIComponent(params.name);
  const { data: job, error, reload } = useLoad(
    () => sagemaker().send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name })),
    [name],
    POLL_MS,
  );
  if (error && !job) return <ErrorBox error={error} />;
  if (!job) return <Loading />;
  return <TuningJobView job={job} error={error} reload={reload} />;
}

function TuningJobView({ job, error, reload }: { job: TuningJob; error?: string; reload: () => void }) {
  const { route } = useLocation();
  const name = job.HyperParameterTuningJobName ?? "";
  const status = job.HyperParameterTuningJobStatus;
  const live = isLive(status);
  const maximize = maximizes(job);
  const [order, setOrder] = useState<ChildOrder>("FinalObjectiveMetricValue");
  // The chart reads the children in creation order; the table in the order picked.
  const byCreation = useLoad(() => listChildren(name, "CreationTime", maximize), [name, maximize, status], live ? POLL_MS : 0, true);
  const table = useLoad(
    () => (order === "CreationTime" ? Promise.resolve(undefined) : listChildren(name, order, maximize)),
    [name, order, maximize, status],
    live ? POLL_MS : 0,
    true,
  );
  const rows = order === "CreationTime" ? byCreation.data : table.data;
  const objective = job.HyperParameterTuningJobConfig?.HyperParameterTuningJobObjective;
  return (
    <>
      <PageHeader title={name}>
        {status === "InProgress" && (
          <StopButton
            noun="tuning job"
            name={name}
            stop={() => sagemaker().send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }))}
            onStopped={reload}
          />
        )}
        {!live && (
          <DeleteButton
            noun="tuning job"
            name={name}
            warning="The tuning job's record goes; its training jobs, their models and logs stay."
            remove={() => sagemaker().send(new DeleteHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }))}
            after={() => route(`${BASE}/tuning-jobs`)}
          />
        )}
      </PageHeader>
      <ErrorBox error={error} title="The tuning job's status could not be refreshed." />
      <FailureReason reason={job.FailureReason} />
      <Section title="Tuning job settings">
        <Facts
          rows={[
            ["Status", <StatusBadge status={status} />],
            ["ARN", <code>{job.HyperParameterTuningJobArn}</code>],
            ["Creation time", formatTime(job.CreationTime)],
            ["End time", formatTime(job.HyperParameterTuningEndTime)],
            ["Last modified time", formatTime(job.LastModifiedTime)],
            ["Runtime", job.ConsumedResources?.RuntimeInSeconds !== undefined ? `${job.ConsumedResources.RuntimeInSeconds} s` : "—"],
          ]}
        />
      </Section>
      <CountersSection job={job} />
      <BestSection job={job} />
      <Section title="Objective">
        <ErrorBox error={byCreation.error} title="The training jobs could not be read." />
        {byCreation.data ? (
          <ObjectiveChart children={byCreation.data} metric={objective?.MetricName ?? "objective"} maximize={maximize} />
        ) : (
          <Loading />
        )}
      </Section>
      <Section title="Training jobs of this tuning job">
        <ErrorBox error={order === "CreationTime" ? undefined : table.error} title="The training jobs could not be read." />
        {rows ? <ChildrenTable job={job} children={rows} order={order} onOrder={setOrder} /> : <Loading />}
      </Section>
      <ConfigSection job={job} />
    </>
  );
}
