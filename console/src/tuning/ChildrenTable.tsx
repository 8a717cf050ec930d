// The tuning job's training jobs: each with its status, objective value,
// tuned hyperparameters (a column each) and whether it was stopped early.
import { StatusBadge } from "../components/ui";
import { BASE } from "../config";
import { formatTime } from "../format";
import { objectiveOf, stoppedEarly, tunedNames, type Child, type ChildOrder, type TuningJob } from "./model";

export function ChildrenTable({
  job,
  children,
  order,
  onOrder,
}: {
  job: TuningJob;
  children: Child[];
  order: ChildOrder;
  onOrder: (o: ChildOrder) => void;
}) {
  const names = tunedNames(job, children);
  const best = job.BestTrainingJob?.TrainingJobName;
  return (
    <>
      <div class="list-tools">
        <label class="filter">
          Sort by{" "}
          <select value={order} onChange={(e) => onOrder((e.target as HTMLSelectElement).value as ChildOrder)}>
            <option value="FinalObjectiveMetricValue">Objective value, best first</option>
            <option value="CreationTime">Creation time</option>
          </select>
        </label>
      </div>
      {children.length === 0 ? (
        <p class="empty">No training job started yet.</p>
      ) : (
        <div class="table-scroll">
          <table class="list" aria-label="Training jobs of the tuning job">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Objective value</th>
                {names.map((n) => (
                  <th key={n} scope="col">
                    <code>{n}</code>
                  </th>
                ))}
                <th scope="col">Early stopped</th>
                <th scope="col">Creation time</th>
              </tr>
            </thead>
            <tbody>
              {children.map((c) => {
                const early = stoppedEarly(job, c);
                return (
                  <tr key={c.TrainingJobName} data-child={c.TrainingJobName}>
                    <td>
                      <a href={`${BASE}/training-jobs/${encodeURIComponent(c.TrainingJobName ?? "")}`}>{c.TrainingJobName}</a>
                      {c.TrainingJobName === best && <span class="badge ok best-mark"> Best</span>}
                    </td>
                    <td>
                      <StatusBadge status={c.TrainingJobStatus} />
                      {c.FailureReason && <div class="muted">{c.FailureReason}</div>}
                    </td>
                    <td class="objective">{objectiveOf(c) ?? "—"}</td>
                    {names.map((n) => (
                      <td key={n}>
                        <code class="value">{c.TunedHyperParameters?.[n] ?? "—"}</code>
                      </td>
                    ))}
                    <td>{early === undefined ? "—" : early ? "Yes" : "No"}</td>
                    <td>{formatTime(c.CreationTime)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
