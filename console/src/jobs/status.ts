// Job statuses as the SageMaker API spells them (TrainingJobStatus and
// TransformJobStatus share the values), and durations as people read them.

export const JOB_STATUSES = ["InProgress", "Completed", "Failed", "Stopping", "Stopped"];

/** Whether a job with this status can still change (and log). */
export function isLive(status: string | undefined): boolean {
  return status === "InProgress" || status === "Stopping";
}

/** "1 h 2 min", "3 min 4 s", "5 s". */
export function formatSeconds(total: number | undefined): string {
  if (total === undefined || !Number.isFinite(total)) return "—";
  const s = Math.max(0, Math.round(total));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${sec} s`;
  return `${sec} s`;
}

/** From `start` to `end` (or to now, for what still runs). */
export function durationBetween(start: Date | undefined, end: Date | undefined): string {
  if (!start) return "—";
  return formatSeconds(((end ?? new Date()).getTime() - start.getTime()) / 1000);
}
