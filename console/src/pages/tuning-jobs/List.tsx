import { ListHyperParameterTuningJobsCommand, type HyperParameterTuningJobSummary } from "@aws-sdk/client-sagemaker";
import { useState } from "preact/hooks";
import { sagemaker } from "../../aws";
import { ResourceList } from "../../components/ResourceList";
import { PageHeader, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";
import { StatusFilter } from "../../jobs/StatusFilter";
import { failedChildren } from "../../tuning/model";

export default function TuningJobs() {
  const [status, setStatus] = useState("");
  return (
    <>
      <PageHeader title="Hyperparameter tuning jobs" />
      <ResourceList<HyperParameterTuningJobSummary>
        noun="tuning jobs"
        rowKey={(j) => j.HyperParameterTuningJobArn ?? ""}
        toolsKey={status}
        tools={<StatusFilter noun="tuning jobs" value={status} onChange={setStatus} />}
        fetchPage={async (q) => {
          const out = await sagemaker().send(
            new ListHyperParameterTuningJobsCommand({
              NextToken: q.token,
              NameContains: q.nameContains,
              StatusEquals: (status || undefined) as HyperParameterTuningJobSummary["HyperParameterTuningJobStatus"],
              SortBy: q.sortBy as "Name" | "CreationTime" | "Status",
              SortOrder: q.sortOrder,
              MaxResults: q.pageSize,
            }),
          );
          return { items: out.HyperParameterTuningJobSummaries ?? [], next: out.NextToken };
        }}
        columns={[
          {
            label: "Name",
            sortBy: "Name",
            render: (j) => (
              <a href={`${BASE}/tuning-jobs/${encodeURIComponent(j.HyperParameterTuningJobName ?? "")}`}>
                {j.HyperParameterTuningJobName}
              </a>
            ),
          },
          { label: "Status", sortBy: "Status", render: (j) => <StatusBadge status={j.HyperParameterTuningJobStatus} /> },
          { label: "Strategy", render: (j) => j.Strategy ?? "—" },
          { label: "Completed", render: (j) => j.TrainingJobStatusCounters?.Completed ?? 0 },
          { label: "In progress", render: (j) => j.TrainingJobStatusCounters?.InProgress ?? 0 },
          { label: "Failed", render: (j) => failedChildren(j.TrainingJobStatusCounters) },
          { label: "Stopped", render: (j) => j.TrainingJobStatusCounters?.Stopped ?? 0 },
          { label: "Creation time", sortBy: "CreationTime", render: (j) => formatTime(j.CreationTime) },
          { label: "End time", render: (j) => formatTime(j.HyperParameterTuningEndTime) },
        ]}
      />
    </>
  );
}
