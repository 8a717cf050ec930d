import { JOB_STATUSES } from "./status";

/** A job list's status filter (the API's StatusEquals), for ResourceList's `tools`. */
export function StatusFilter({ noun, value, onChange }: { noun: string; value: string; onChange: (v: string) => void }) {
  return (
    <label class="filter">
      <span class="visually-hidden">Filter {noun} by status</span>
      <select value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        <option value="">Any status</option>
        {JOB_STATUSES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
    </label>
  );
}
