import type { ComponentChildren } from "preact";

const STATUS_CLASS: Record<string, string> = {
  Completed: "ok",
  InService: "ok",
  Approved: "ok",
  SUCCEEDED: "ok",
  ACTIVE: "ok",
  Subscribed: "ok",
  Failed: "bad",
  FAILED: "bad",
  Rejected: "bad",
  Stopped: "muted",
  Deleting: "muted",
  CANCELLED: "muted",
  NotStarted: "muted",
};

/** A status word with a colour that does not carry the meaning alone. */
export function StatusBadge({ status }: { status: string | undefined }) {
  if (!status) return <span class="badge muted">—</span>;
  return <span class={`badge ${STATUS_CLASS[status] ?? "busy"}`}>{status}</span>;
}

export function ErrorBox({ error, title = "Error" }: { error: string | undefined; title?: string }) {
  if (!error) return null;
  return (
    <div class="error-box" role="alert">
      <strong>{title}</strong> {error}
    </div>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <h1>{title}</h1>
      <div class="actions">{children}</div>
    </header>
  );
}

/** A labelled form field; `error` shows under it and is announced. */
export function Field({
  label,
  id,
  hint,
  error,
  children,
}: {
  label: string;
  id: string;
  hint?: string;
  error?: string;
  children: ComponentChildren;
}) {
  return (
    <div class={`field${error ? " has-error" : ""}`}>
      <label for={id}>{label}</label>
      {hint && (
        <div class="hint" id={`${id}-hint`}>
          {hint}
        </div>
      )}
      {children}
      {error && (
        <div class="field-error" id={`${id}-error`} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

/** Two-column facts of a resource. */
export function Facts({ rows }: { rows: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v ?? "—"}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section class="panel">
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function Loading() {
  return (
    <p class="loading" aria-live="polite">
      Loading…
    </p>
  );
}
