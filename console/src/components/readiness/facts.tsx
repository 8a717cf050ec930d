// The measured parts of a readiness report: the checks, the real-time
// figures, the images and what containers tried to reach under network
// isolation, as tables and facts.
import { BASE } from "../../config";
import { formatBytes } from "../../format";
import type { Check, ImageFacts, NetworkActivity, RealTime } from "../../readiness";
import { Facts } from "../ui";

const CATEGORY: Record<string, string> = {
  Listing: "Listing",
  Image: "Image",
  VulnerabilityScan: "Vulnerability scan",
  Batch: "Batch limits",
  RealTime: "Real-time deployment",
  Network: "Network under isolation",
};

const CHECK_CLASS: Record<string, string> = { Passed: "ok", Found: "bad", Skipped: "muted" };

const number = (n: number) => n.toLocaleString(undefined, { maximumFractionDigits: 1 });

/** Milliseconds as a person reads them ("—" when not measured). */
export function ms(n: number | undefined): string {
  return n === undefined ? "—" : `${number(n)} ms`;
}

/** A size, with the exact byte count a limit is compared against. */
function bytes(n: number | undefined): string {
  return n === undefined ? "—" : `${formatBytes(n)} (${number(n)} bytes)`;
}

export function ChecksTable({ checks }: { checks: Check[] | undefined }) {
  if (!checks?.length) return <p class="empty">No checks ran.</p>;
  return (
    <div class="table-scroll">
      <table class="list readiness-checks">
        <caption class="visually-hidden">Checks</caption>
        <thead>
          <tr>
            <th scope="col">Check</th>
            <th scope="col">Result</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {checks.map((c) => (
            <tr key={c.Category} data-category={c.Category}>
              <th scope="row">{CATEGORY[c.Category] ?? c.Category}</th>
              <td>
                <span class={`badge ${CHECK_CLASS[c.Status] ?? "busy"}`}>{c.Status}</span>
                {c.Reason && <div class="muted check-reason">{c.Reason}</div>}
              </td>
              <td>{ms(c.DurationInMilliseconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function RealTimeFacts({ rt, check }: { rt: RealTime | undefined; check: Check | undefined }) {
  if (!rt) {
    return <p class="empty">{check?.Reason ? `Not deployed: ${check.Reason}` : "The inference image was not deployed for real time."}</p>;
  }
  return (
    <div class="readiness-realtime">
      <Facts
        rows={[
          ["Instance type", rt.InstanceType],
          ["Start-up (to the first GET /ping 200)", ms(rt.StartupInMilliseconds)],
          ["GET /ping p50", ms(rt.PingP50InMilliseconds)],
          ["GET /ping max", ms(rt.PingMaxInMilliseconds)],
          ["Invocations (errors)", `${rt.Invocations ?? 0} (${rt.InvocationErrors ?? 0})`],
          ["Invocation p50", ms(rt.InvocationP50InMilliseconds)],
          ["Invocation p99", ms(rt.InvocationP99InMilliseconds)],
          ["Invocation max", ms(rt.InvocationMaxInMilliseconds)],
          ["Largest body accepted", bytes(rt.LargestBodyAcceptedInBytes)],
          ["Smallest body refused", rt.SmallestBodyRefusedInBytes === undefined ? "None" : bytes(rt.SmallestBodyRefusedInBytes)],
        ]}
      />
      <p class="table-note">
        Deployed as an endpoint variant would be (logs in <code>/aws/sagemaker/Endpoints/{rt.EndpointName}</code>); SageMaker allows 2 s per
        GET /ping, 60 s per invocation and bodies up to 6 MB.
      </p>
    </div>
  );
}

const yesNo = (b: boolean | undefined) => (b === undefined ? "—" : b ? "Yes" : "No");

export function ImagesTable({ images }: { images: ImageFacts[] | undefined }) {
  if (!images?.length) return <p class="empty">No image was examined.</p>;
  return (
    <div class="table-scroll">
      <table class="list readiness-images">
        <caption class="visually-hidden">Images</caption>
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">Image</th>
            <th scope="col">In the seller's registry</th>
            <th scope="col">Platform</th>
            <th scope="col">Size</th>
            <th scope="col">Layers</th>
            <th scope="col">User</th>
            <th scope="col">Scan</th>
          </tr>
        </thead>
        <tbody>
          {images.map((i, n) => (
            <tr key={`${i.Role}-${n}`}>
              <td>{i.Role ?? "—"}</td>
              <td>
                <code class="value">{i.Image}</code>
                {i.Digest && <div class="muted">{i.Digest}</div>}
              </td>
              <td>{yesNo(i.InSellerRegistry)}</td>
              <td>{i.Platform || "—"}</td>
              <td>{formatBytes(i.SizeInBytes)}</td>
              <td>{i.Layers ?? "—"}</td>
              <td>{i.User ? <code>{i.User}</code> : "root (default)"}</td>
              <td>{i.ScanStatus ?? "No scan"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The console page that shows a log stream: the training and transform job
 * pages tail their jobs' streams (`JOB/…`); the real-time check's endpoint
 * is not a resource, so its stream has no page.
 */
function logPage(a: NetworkActivity): string | undefined {
  const job = a.LogStreamName?.split("/")[0];
  if (!job) return undefined;
  if (a.LogGroupName === "/aws/sagemaker/TrainingJobs") return `${BASE}/training-jobs/${encodeURIComponent(job)}`;
  if (a.LogGroupName === "/aws/sagemaker/TransformJobs") return `${BASE}/transform-jobs/${encodeURIComponent(job)}`;
  return undefined;
}

export function NetworkList({ activity }: { activity: NetworkActivity[] | undefined }) {
  if (!activity?.length) return <p class="empty">No container tried to resolve a name or open a connection.</p>;
  return (
    <ul class="network-activity">
      {activity.map((a, i) => {
        const page = logPage(a);
        return (
          <li key={`${a.LogStreamName}-${i}`}>
            <div>
              <strong>{a.Container}</strong>: {a.Attempts?.length ?? 0} attempt{a.Attempts?.length === 1 ? "" : "s"}
            </div>
            <div class="muted">
              Log stream <code>{a.LogGroupName}</code> / <code>{a.LogStreamName}</code>
              {page && (
                <>
                  {" "}
                  (<a href={page}>its logs on the job's page</a>)
                </>
              )}
            </div>
            <pre class="evidence" tabIndex={0} aria-label={`Attempts of ${a.Container}`}>
              {(a.Attempts ?? []).join("\n")}
            </pre>
          </li>
        );
      })}
    </ul>
  );
}
