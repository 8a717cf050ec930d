// SecondaryStatusTransitions as an ordered timeline: each step with its
// start, end (or "now"), how long it took and the server's message.
import type { SecondaryStatusTransition } from "@aws-sdk/client-sagemaker";
import { StatusBadge } from "../components/ui";
import { formatTime } from "../format";
import { durationBetween } from "./status";

/** Secondary statuses that end a job: shown in their own colour. */
const ENDS = ["Completed", "Failed", "Stopped", "MaxRuntimeExceeded", "MaxWaitTimeExceeded", "Interrupted"];

export function Timeline({ transitions }: { transitions: SecondaryStatusTransition[] | undefined }) {
  if (!transitions?.length) return <p class="empty">No status transitions yet.</p>;
  const steps = [...transitions].sort((a, b) => (a.StartTime?.getTime() ?? 0) - (b.StartTime?.getTime() ?? 0));
  return (
    <ol class="timeline" aria-label="Status history">
      {steps.map((t, i) => {
        const current = !t.EndTime && i === steps.length - 1;
        return (
          <li key={`${i}:${t.Status}`} class={current ? "current" : undefined} aria-current={current ? "step" : undefined}>
            <div class="timeline-head">
              {current || ENDS.includes(t.Status ?? "") ? (
                <StatusBadge status={t.Status} />
              ) : (
                // A step already done is history, not something in progress.
                <span class="badge muted">{t.Status}</span>
              )}
              <span class="muted">
                {formatTime(t.StartTime)}
                {" – "}
                {t.EndTime ? formatTime(t.EndTime) : current ? "now" : "—"}
                {" · "}
                {durationBetween(t.StartTime, t.EndTime)}
              </span>
            </div>
            {t.StatusMessage && <div class="timeline-message">{t.StatusMessage}</div>}
          </li>
        );
      })}
    </ol>
  );
}
