// The tuning job page's sections: what was asked (strategy, objective,
// limits, ranges) and what came of it (counters, best training job).
import type { HyperParameterTrainingJobSummary } from "@aws-sdk/client-sagemaker";
import { Facts, Section } from "../components/ui";
import { BASE } from "../config";
import { formatTime } from "../format";
import { KeyValueTable } from "../jobs/parts";
import { formatSeconds } from "../jobs/status";
import { failedChildren, type TuningJob } from "./model";

export function ConfigSection({ job }: { job: TuningJob }) {
  const c = job.HyperParameterTuningJobConfig;
  const o = c?.HyperParameterTuningJobObjective;
  const limits = c?.ResourceLimits;
  const warm = job.WarmStartConfig;
  return (
    <Section title="Tuning configuration">
      <Facts
        rows={[
          ["Strategy", c?.Strategy ?? "—"],
          ["Objective", o ? `${o.Type} ${o.MetricName}` : "—"],
          ["Maximum training jobs", limits?.MaxNumberOfTrainingJobs ?? "—"],
          ["Maximum parallel training jobs", limits?.MaxParallelTrainingJobs ?? "—"],
          ["Maximum runtime", limits?.MaxRuntimeInSeconds ? formatSeconds(limits.MaxRuntimeInSeconds) : "—"],
          ["Early stopping type", c?.TrainingJobEarlyStoppingType ?? "Off"],
          ["Random seed", c?.RandomSeed ?? "—"],
          [
            "Warm start",
            warm
              ? `${warm.WarmStartType}: ${(warm.ParentHyperParameterTuningJobs ?? []).map((p) => p.HyperParameterTuningJobName).join(", ")}`
              : "No",
          ],
        ]}
      />
      <h3>Hyperparameter ranges</h3>
      <RangesTable job={job} />
    </Section>
  );
}

function RangesTable({ job }: { job: TuningJob }) {
  const r = job.HyperParameterTuningJobConfig?.ParameterRanges;
  const rows: [string, string, string, string][] = [
    ...(r?.IntegerParameterRanges ?? []).map(
      (p) => [p.Name ?? "", "Integer", `${p.MinValue} – ${p.MaxValue}`, p.ScalingType ?? "Auto"] as [string, string, string, string],
    ),
    ...(r?.ContinuousParameterRanges ?? []).map(
      (p) => [p.Name ?? "", "Continuous", `${p.MinValue} – ${p.MaxValue}`, p.ScalingType ?? "Auto"] as [string, string, string, string],
    ),
    ...(r?.CategoricalParameterRanges ?? []).map(
      (p) => [p.Name ?? "", "Categorical", (p.Values ?? []).join(", "), "—"] as [string, string, string, string],
    ),
    ...(r?.AutoParameters ?? []).map((p) => [p.Name ?? "", "Auto", p.ValueHint ?? "", "—"] as [string, string, string, string]),
  ];
  if (!rows.length) return <p class="empty">No ranges.</p>;
  return (
    <table class="list" aria-label="Hyperparameter ranges">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Type</th>
          <th scope="col">Range or values</th>
          <th scope="col">Scaling</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([name, type, range, scaling]) => (
          <tr key={name}>
            <td>
              <code>{name}</code>
            </td>
            <td>{type}</td>
            <td>{range}</td>
            <td>{scaling}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CountersSection({ job }: { job: TuningJob }) {
  const t = job.TrainingJobStatusCounters;
  const o = job.ObjectiveStatusCounters;
  return (
    <Section title="Training jobs">
      <Facts
        rows={[
          ["Completed", t?.Completed ?? 0],
          ["In progress", t?.InProgress ?? 0],
          ["Failed", failedChildren(t)],
          ["Retryable errors", t?.RetryableError ?? 0],
          ["Non-retryable errors", t?.NonRetryableError ?? 0],
          ["Stopped", t?.Stopped ?? 0],
          ["Objective succeeded", o?.Succeeded ?? 0],
          ["Objective pending", o?.Pending ?? 0],
          ["Objective failed", o?.Failed ?? 0],
        ]}
      />
    </Section>
  );
}

/** BestTrainingJob, and OverallBestTrainingJob (a warm start's parents included) when there is one. */
export function BestSection({ job }: { job: TuningJob }) {
  const best = job.BestTrainingJob;
  const overall = job.OverallBestTrainingJob;
  return (
    <Section title="Best training job">
      {best ? <BestJob summary={best} label="best" /> : <p class="empty">No training job has reported the objective yet.</p>}
      {overall && (
        <>
          <h3>Overall best training job (with the warm start's parent jobs)</h3>
          <BestJob summary={overall} label="overall-best" />
        </>
      )}
    </Section>
  );
}

function BestJob({ summary, label }: { summary: HyperParameterTrainingJobSummary; label: string }) {
  const m = summary.FinalHyperParameterTuningJobObjectiveMetric;
  return (
    <div data-best={label}>
      <Facts
        rows={[
          [
            "Training job",
            <a href={`${BASE}/training-jobs/${encodeURIComponent(summary.TrainingJobName ?? "")}`}>{summary.TrainingJobName}</a>,
          ],
          ["Objective value", m ? <span class="objective-value">{m.Value}</span> : "—"],
          ["Objective metric", m ? `${m.Type} ${m.MetricName}` : "—"],
          ["Tuning job", summary.TuningJobName ?? "—"],
          ["Training end time", formatTime(summary.TrainingEndTime)],
        ]}
      />
      <KeyValueTable entries={summary.TunedHyperParameters} keyLabel="Tuned hyperparameter" empty="No tuned hyperparameters." />
    </div>
  );
}
