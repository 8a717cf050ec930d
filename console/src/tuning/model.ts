// What the tuning job pages compute from the API's answers: the failed
// count, the children in full, the objective's order and best-so-far.
import {
  ListTrainingJobsForHyperParameterTuningJobCommand,
  type DescribeHyperParameterTuningJobCommandOutput,
  type HyperParameterTrainingJobSummary,
  type TrainingJobStatusCounters,
} from "@aws-sdk/client-sagemaker";
import { sagemaker } from "../aws";

export type TuningJob = DescribeHyperParameterTuningJobCommandOutput;
export type Child = HyperParameterTrainingJobSummary;
export type ChildOrder = "FinalObjectiveMetricValue" | "CreationTime";

/** The API counts failures as retryable or not; a person reads "failed". */
export function failedChildren(c: TrainingJobStatusCounters | undefined): number {
  return (c?.RetryableError ?? 0) + (c?.NonRetryableError ?? 0);
}

/** Whether the objective is maximized (otherwise minimized). */
export const maximizes = (job: TuningJob) => job.HyperParameterTuningJobConfig?.HyperParameterTuningJobObjective?.Type === "Maximize";

/**
 * Every child, in the API's order (a tuning job has at most 750). Sorted by
 * the objective, best first — the API leaves out children without a value,
 * so they follow, in creation order.
 */
export async function listChildren(job: string, order: ChildOrder, maximize: boolean): Promise<Child[]> {
  const page = async (sortBy: ChildOrder, sortOrder: "Ascending" | "Descending") => {
    const out: Child[] = [];
    let token: string | undefined;
    do {
      const r = await sagemaker().send(
        new ListTrainingJobsForHyperParameterTuningJobCommand({
          HyperParameterTuningJobName: job,
          SortBy: sortBy,
          SortOrder: sortOrder,
          MaxResults: 100,
          NextToken: token,
        }),
      );
      out.push(...(r.TrainingJobSummaries ?? []));
      token = r.NextToken;
    } while (token);
    return out;
  };
  const byCreation = await page("CreationTime", "Ascending");
  if (order === "CreationTime") return byCreation;
  const ranked = await page("FinalObjectiveMetricValue", maximize ? "Descending" : "Ascending");
  const seen = new Set(ranked.map((c) => c.TrainingJobName));
  return [...ranked, ...byCreation.filter((c) => !seen.has(c.TrainingJobName))];
}

export const objectiveOf = (c: Child) => c.FinalHyperParameterTuningJobObjectiveMetric?.Value;

/** The names of the tuned hyperparameters: the ranges' order, then any others the children report. */
export function tunedNames(job: TuningJob, children: Child[]): string[] {
  const r = job.HyperParameterTuningJobConfig?.ParameterRanges;
  const names = [
    ...(r?.IntegerParameterRanges ?? []),
    ...(r?.ContinuousParameterRanges ?? []),
    ...(r?.CategoricalParameterRanges ?? []),
    ...(r?.AutoParameters ?? []),
  ].map((p) => p.Name ?? "");
  for (const c of children) for (const k of Object.keys(c.TunedHyperParameters ?? {})) if (!names.includes(k)) names.push(k);
  return names.filter(Boolean);
}

/**
 * Whether the tuning job stopped this child early. The API's summary has no
 * such flag: a child the tuner stopped is `Stopped` in a job that stops
 * early (Auto or Hyperband). When the whole job was stopped, a Stopped
 * child may have been stopped with it: `undefined`, not a guess.
 */
export function stoppedEarly(job: TuningJob, c: Child): boolean | undefined {
  if (c.TrainingJobStatus !== "Stopped") return false;
  const cfg = job.HyperParameterTuningJobConfig;
  const canStopEarly = cfg?.TrainingJobEarlyStoppingType === "Auto" || cfg?.Strategy === "Hyperband";
  if (!canStopEarly) return false;
  const status = job.HyperParameterTuningJobStatus;
  return status === "Stopped" || status === "Stopping" ? undefined : true;
}

/** The best objective so far at each point, for values in the order they came. */
export function bestSoFar(values: (number | null)[], maximize: boolean): (number | null)[] {
  let best: number | null = null;
  return values.map((v) => {
    if (v !== null && (best === null || (maximize ? v > best : v < best))) best = v;
    return best;
  });
}
