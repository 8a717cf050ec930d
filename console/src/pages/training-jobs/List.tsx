import { ListTrainingJobsCommand, type TrainingJobSummary } from "@aws-sdk/client-sagemaker";
import { useState } from "preact/hooks";
import { sagemaker } from "../../aws";
import { ResourceList } from "../../components/ResourceList";
import { PageHeader, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";
import { durationBetween } from "../../jobs/status";
import { StatusFilter } from "../../jobs/StatusFilter";

export default function TrainingJobs() {
  const [status, setStatus] = useState("");
  return (
    <>
      <PageHeader title="Training jobs" />
      <ResourceList<TrainingJobSummary>
        noun="training jobs"
        rowKey={(j) => j.TrainingJobArn ?? ""}
        toolsKey={status}
        tools={<StatusFilter noun="training jobs" value={status} onChange={setStatus} />}
        fetchPage={async (q) => {
          const out = await sagemaker().send(
            new ListTrainingJobsCommand({
              NextToken: q.token,
              NameContains: q.nameContains,
              StatusEquals: (status || undefined) as TrainingJobSummary["TrainingJobStatus"],
              SortBy: q.sortBy as "Name" | "CreationTime" | "Status",
              SortOrder: q.sortOrder,
              MaxResults: q.pageSize,
            }),
          );
          return { items: out.TrainingJobSummaries ?? [], next: out.NextToken };
        }}
        columns={[
          {
            label: "Name",
            sortBy: "Name",
            render: (j) => (
              <a href={`${BASE}/training-jobs/${encodeURIComponent(j.TrainingJobName ?? "")}`}>{j.TrainingJobName}</a>
            ),
          },
          {
            label: "Status",
            sortBy: "Status",
            render: (j) => (
              <>
                <StatusBadge status={j.TrainingJobStatus} />
                {j.SecondaryStatus && j.SecondaryStatus !== j.TrainingJobStatus && (
                  <span class="secondary-status"> {j.SecondaryStatus}</span>
                )}
              </>
            ),
          },
          { label: "Creation time", sortBy: "CreationTime", render: (j) => formatTime(j.CreationTime) },
          { label: "Duration", render: (j) => durationBetween(j.CreationTime, j.TrainingEndTime) },
        ]}
      />
    </>
  );
}
