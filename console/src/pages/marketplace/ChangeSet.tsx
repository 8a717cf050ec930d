// A change set: its status, live (DescribeChangeSet every 1.5 s until it
// is SUCCEEDED, FAILED or CANCELLED), and each change with its entity, its
// details document (read-only) and, when it failed, its errors AT it: the
// seller reads which change AWS Marketplace refused and why. Cancel while
// it is PREPARING.
import { CancelChangeSetCommand, DescribeChangeSetCommand, type ChangeSummary } from "@aws-sdk/client-marketplace-catalog";
import { useRoute } from "preact-iso";
import { useEffect, useState } from "preact/hooks";
import { describeError } from "../../aws";
import { ErrorBox, Facts, Loading, PageHeader, Section, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatIso } from "../../format";
import { useLoad } from "../../hooks";
import { CATALOG, catalog, TERMINAL } from "../../marketplace";

export default function ChangeSet() {
  const { params } = useRoute();
  const id = decodeURIComponent(params.id);
  const [done, setDone] = useState(false);
  const { data: cs, error, reload } = useLoad(
    () => catalog().send(new DescribeChangeSetCommand({ Catalog: CATALOG, ChangeSetId: id })),
    [id],
    done ? 0 : 1500,
    true,
  );
  const final = !!cs && TERMINAL.includes(cs.Status ?? "");
  useEffect(() => setDone(final), [final]);
  const [cancelError, setCancelError] = useState<string>();
  const [cancelling, setCancelling] = useState(false);
  if (error && !cs) return <ErrorBox error={error} />;
  if (!cs) return <Loading />;
  const cancel = async () => {
    setCancelling(true);
    setCancelError(undefined);
    try {
      await catalog().send(new CancelChangeSetCommand({ Catalog: CATALOG, ChangeSetId: id }));
      reload();
    } catch (e) {
      setCancelError(describeError(e));
    } finally {
      setCancelling(false);
    }
  };
  const changes = cs.ChangeSet ?? [];
  const failedAt = changes.filter((c) => c.ErrorDetailList?.length).length;
  return (
    <>
      <PageHeader title={cs.ChangeSetName || id}>
        {cs.Status === "PREPARING" && (
          <button type="button" class="danger" onClick={cancel} disabled={cancelling}>
            Cancel change set
          </button>
        )}
      </PageHeader>
      <ErrorBox error={cancelError} title="The change set could not be cancelled." />
      <ErrorBox error={error} title="The status could not be read." />
      <Section title="Summary">
        <div aria-busy={!final} class="change-set-summary">
          <Facts
            rows={[
              ["Status", <StatusBadge status={cs.Status} />],
              ["Intent", cs.Intent === "VALIDATE" ? "Validate only (nothing is created)" : "Apply"],
              ["Change set ID", <code>{cs.ChangeSetId}</code>],
              ["ARN", <code>{cs.ChangeSetArn}</code>],
              ["Started", formatIso(cs.StartTime)],
              ["Ended", formatIso(cs.EndTime)],
            ]}
          />
        </div>
        {!final && (
          <p class="notice" aria-live="polite">
            AWS Marketplace is {cs.Status === "APPLYING" ? "applying" : "preparing"} the change set: this page updates by itself.
          </p>
        )}
        {cs.Status === "FAILED" && (
          <div class="error-box failure-reason" role="alert">
            <strong>The change set failed{cs.FailureCode ? ` (${cs.FailureCode})` : ""}.</strong>
            <span class="reason">
              {cs.FailureDescription ?? ""}
              {failedAt ? ` ${failedAt === 1 ? "One change was" : `${failedAt} changes were`} refused: see the errors at ${failedAt === 1 ? "it" : "them"} below.` : ""}
            </span>
          </div>
        )}
        {cs.Status === "SUCCEEDED" && cs.Intent === "VALIDATE" && (
          <p class="notice">Valid: sending it again without “Validate only” would apply it.</p>
        )}
      </Section>
      <Section title={`Changes (${changes.length})`}>
        <ol class="changes">
          {changes.map((c, i) => (
            <ChangeItem key={i} c={c} linked={cs.Status === "SUCCEEDED" && cs.Intent !== "VALIDATE"} />
          ))}
        </ol>
      </Section>
      <p>
        <a href={`${BASE}/marketplace/change-sets`}>All change sets</a>
      </p>
    </>
  );
}

/** `linked`: the entities exist (a failed, cancelled or validate-only change set created none). */
function ChangeItem({ c, linked }: { c: ChangeSummary; linked: boolean }) {
  const errors = c.ErrorDetailList ?? [];
  const entityId = c.Entity?.Identifier?.split("@")[0];
  const isProduct = c.Entity?.Type?.startsWith("MachineLearningProduct");
  return (
    <li class={`change${errors.length ? " failed" : ""}`} data-change-type={c.ChangeType} data-change-name={c.ChangeName}>
      <div class="change-head">
        <strong class="change-type">{c.ChangeType}</strong>
        {c.ChangeName && <span class="muted change-name">{c.ChangeName}</span>}
      </div>
      <div class="change-entity">
        {c.Entity?.Type}{" "}
        {linked && entityId && isProduct ? (
          <a href={`${BASE}/marketplace/products/${encodeURIComponent(entityId)}`}>{c.Entity?.Identifier}</a>
        ) : (
          <code>{c.Entity?.Identifier ?? "(new)"}</code>
        )}
      </div>
      {errors.length > 0 && (
        <ul class="change-errors" aria-label={`Errors of ${c.ChangeType}`}>
          {errors.map((e, i) => (
            <li key={i} role="alert">
              <code class="error-code">{e.ErrorCode}</code> <span class="error-message">{e.ErrorMessage}</span>
            </li>
          ))}
        </ul>
      )}
      <details>
        <summary>Details document</summary>
        <pre class="json-view" tabIndex={0} aria-label={`Details document of ${c.ChangeType}`}>
          {JSON.stringify(c.DetailsDocument ?? (c.Details ? safeParse(c.Details) : {}), null, 2)}
        </pre>
      </details>
    </li>
  );
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
