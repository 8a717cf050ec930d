// The "Marketplace readiness" section of a model package's or an
// algorithm's page: the readiness report Slipway produces beside the
// validation (docs/readiness.md), read with DescribeReadinessReport. It
// polls while the validation or the report runs, then stops.
import { useEffect, useState } from "preact/hooks";
import { useLoad } from "../../hooks";
import { AwsJsonError } from "../../awsjson";
import { describeReadinessReport, type ReadinessReport, type Severity } from "../../readiness";
import { ErrorBox, Facts, StatusBadge } from "../ui";
import { formatTime } from "../../format";
import { ChecksTable, ImagesTable, NetworkList, RealTimeFacts } from "./facts";

const SEVERITIES: { id: Severity; label: string; means: string }[] = [
  { id: "BlocksListing", label: "Blocks listing", means: "AWS Marketplace would refuse the listing." },
  { id: "BreaksBuyers", label: "Breaks buyers", means: "It lists, but buyers' jobs or endpoints fail." },
  { id: "Advice", label: "Advice", means: "Worth a look; nothing fails." },
];

const FINAL = ["Completed", "Failed"];

/** What the API answered: a report, or why there is none (ResourceNotFound). */
type Answer = { report: ReadinessReport } | { none: string };

export function Readiness({ arn }: { arn: string }) {
  // Polls every 3 s until the report is final (or known not to exist),
  // then stops; `keep` holds the report on screen meanwhile. Pages mount it
  // with `key={arn}`, so another resource starts polling afresh.
  const [done, setDone] = useState(false);
  const { data: answer, error } = useLoad<Answer>(
    async () => {
      try {
        return { report: await describeReadinessReport(arn) };
      } catch (e) {
        if (e instanceof AwsJsonError && e.name === "ResourceNotFound") return { none: e.message };
        throw e;
      }
    },
    [arn],
    done ? 0 : 3000,
    true,
  );
  const final = !!answer && ("none" in answer || FINAL.includes(answer.report.ReportStatus));
  useEffect(() => setDone(final), [final]);
  const busy = !final;
  return (
    <section class="panel readiness" aria-labelledby="readiness-title" aria-busy={busy}>
      <h2 id="readiness-title">Marketplace readiness</h2>
      <ErrorBox error={error} title="The readiness report could not be read." />
      {!answer && !error && <p class="loading">Loading the readiness report…</p>}
      {answer && "none" in answer && <p class="empty readiness-none">{answer.none}</p>}
      {answer && "report" in answer && <ReportView r={answer.report} />}
    </section>
  );
}

function ReportView({ r }: { r: ReadinessReport }) {
  return (
    <>
      <p class="intro">
        What AWS Marketplace would refuse at listing time, or buyers would hit at run time, checked beside the validation. The validation's own
        status above is what AWS reports; this report never changes it.
      </p>
      <Facts
        rows={[
          ["Report status", <StatusBadge status={r.ReportStatus} />],
          ["Validation status", <StatusBadge status={r.ValidationStatus} />],
          ["Started", r.StartTime ? formatTime(new Date(r.StartTime * 1000)) : "—"],
          ["Ended", r.EndTime ? formatTime(new Date(r.EndTime * 1000)) : "—"],
        ]}
      />
      {r.ReportStatus === "NotStarted" && (
        <p class="notice" aria-live="polite">
          The validation is still running: the report starts when it ends. This page updates by itself.
        </p>
      )}
      {r.ReportStatus === "InProgress" && (
        <p class="notice" aria-live="polite">
          The report is being produced (image, real-time deployment, batch limits, scans, network): this page updates by itself.
        </p>
      )}
      {r.ReportStatus === "Failed" && (
        <div class="error-box" role="alert">
          <strong>The report could not be produced.</strong> {r.FailureReason ?? "No reason was given."}
        </div>
      )}
      {r.ReportStatus === "Completed" && <Completed r={r} />}
    </>
  );
}

function Completed({ r }: { r: ReadinessReport }) {
  const findings = r.Findings ?? [];
  return (
    <>
      <div class={`readiness-headline ${r.ListingReady ? "ok" : "bad"}`} role="status">
        <strong>{r.ListingReady ? "Ready to list" : "Not ready to list"}</strong>
        <ul class="severity-counts" aria-label="Findings per severity">
          {SEVERITIES.map((s) => (
            <li key={s.id} class={`severity ${s.id}`}>
              {s.label}: <span class="count">{r.Summary?.[s.id] ?? 0}</span>
            </li>
          ))}
        </ul>
      </div>
      <h3>Findings</h3>
      {findings.length === 0 && <p class="empty">No findings: nothing blocks listing or breaks buyers.</p>}
      {SEVERITIES.map((s) => {
        const mine = findings.filter((f) => f.Severity === s.id);
        if (!mine.length) return null;
        return (
          <div key={s.id} class="finding-group">
            <h4 id={`severity-${s.id}`}>
              {s.label} ({mine.length}) <span class="muted">{s.means}</span>
            </h4>
            <ul class="findings" aria-labelledby={`severity-${s.id}`}>
              {mine.map((f, i) => (
                <li key={`${f.FindingId}-${i}`} class={`finding ${s.id}`} data-finding={f.FindingId}>
                  <div class="finding-head">
                    <code class="finding-id">{f.FindingId}</code> <strong class="finding-title">{f.Title}</strong>
                  </div>
                  {f.Subject && (
                    <div class="finding-subject">
                      <span class="muted">Subject:</span> <code>{f.Subject}</code>
                    </div>
                  )}
                  {f.Evidence?.length ? (
                    <pre class="evidence" aria-label={`Evidence of ${f.FindingId}`} tabIndex={0}>
                      {f.Evidence.join("\n")}
                    </pre>
                  ) : null}
                  <p class="fix">
                    <strong>Fix:</strong> {f.Fix}
                  </p>
                </li>
              ))}
            </ul>
          </div>
        );
      })}
      <h3>Checks</h3>
      <ChecksTable checks={r.Checks} />
      <h3>Real-time deployment</h3>
      <RealTimeFacts rt={r.RealTime} check={r.Checks?.find((c) => c.Category === "RealTime")} />
      <h3>Images</h3>
      <ImagesTable images={r.Images} />
      <h3>Network activity under isolation</h3>
      <NetworkList activity={r.NetworkActivity} />
    </>
  );
}
