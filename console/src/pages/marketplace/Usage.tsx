// Marketplace usage (GetUsage, docs/marketplace.md "Metering"): what the
// account's runs of subscribed products cost, and, for a seller, what its
// buyers used; each line priced with the agreement's terms. `?agreement=`
// or `?product=` narrows it (the Subscriptions page links here); the CSV
// download has the columns of `slipway marketplace usage --output csv`.
import { useLocation } from "preact-iso";
import { useMemo } from "preact/hooks";
import { ErrorBox, Loading, PageHeader, Section } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";
import { useLoad } from "../../hooks";
import { useSession } from "../../session";
import { epoch, getUsage, usageCsv, type UsageRecord } from "../../subscriptions";

const TYPE_LABEL: Record<UsageRecord["UsageType"], string> = {
  Training: "Training",
  BatchTransform: "Batch transform",
  RealTimeInference: "Real-time inference",
  InferenceCount: "Inferences",
};

export default function Usage() {
  const { query } = useLocation();
  const agreementId = query.agreement || undefined;
  const productId = query.product || undefined;
  // Polled: an endpoint's line grows while it serves.
  const { data, error } = useLoad(() => getUsage({ agreementId, productId }), [agreementId, productId], 15_000, true);
  const me = useSession()?.account;
  const asBuyer = useMemo(() => data?.filter((r) => r.BuyerAccountId === me && !r.SellersOwnUse) ?? [], [data, me]);
  const asSeller = useMemo(() => data?.filter((r) => r.SellerAccountId === me && r.BuyerAccountId !== me) ?? [], [data, me]);
  const own = useMemo(() => data?.filter((r) => r.SellersOwnUse) ?? [], [data]);
  return (
    <>
      <PageHeader title="Usage">
        {!!data?.length && (
          <a class="button" href={csvHref(data)} download={csvName(agreementId, productId)}>
            Download CSV
          </a>
        )}
      </PageHeader>
      <p class="intro">
        Instance hours are counted per started minute and instance; inferences as the container reports them in{" "}
        <code>X-Amzn-Inference-Metering</code>. Prices are the agreement's.
        {(agreementId || productId) && (
          <>
            {" "}
            Showing {agreementId ? <>agreement <code>{agreementId}</code></> : <>product <code>{productId}</code></>} only;{" "}
            <a href={`${BASE}/marketplace/usage`}>show all</a>.
          </>
        )}
      </p>
      <ErrorBox error={error} />
      {!data && !error && <Loading />}
      {data && !data.length && <p class="empty">No usage recorded.</p>}
      {!!asBuyer.length && <UsageTable title="My usage of subscribed products" side="Buyer" records={asBuyer} oneAgreement={!!agreementId} />}
      {!!asSeller.length && <UsageTable title="My buyers' usage" side="Seller" records={asSeller} oneAgreement={!!agreementId} />}
      {!!own.length && <UsageTable title="My own runs of my products (not billed)" side="Own" records={own} oneAgreement />}
    </>
  );
}

function csvHref(records: UsageRecord[]): string {
  return `data:text/csv;charset=utf-8,${encodeURIComponent(usageCsv(records))}`;
}

function csvName(agreementId?: string, productId?: string): string {
  return `usage${agreementId ? `-${agreementId}` : productId ? `-${productId}` : ""}.csv`;
}

function money(n: number, currency: string): string {
  return `${n.toFixed(n !== 0 && Math.abs(n) < 0.01 ? 4 : 2)} ${currency}`;
}

function UsageTable({
  title,
  side,
  records,
  oneAgreement,
}: {
  title: string;
  side: "Buyer" | "Seller" | "Own";
  records: UsageRecord[];
  /** The page shows one agreement (or none applies): no agreement column. */
  oneAgreement: boolean;
}) {
  // Totals per currency: an agreement's terms have one, an account may have several.
  const totals = new Map<string, number>();
  for (const r of records) totals.set(r.Currency, (totals.get(r.Currency) ?? 0) + r.Amount);
  return (
    <Section title={title}>
      <div class="table-scroll">
        <table class="list usage-lines" data-side={side}>
          <thead>
            <tr>
              <th scope="col">Product</th>
              {side === "Seller" && <th scope="col">Buyer account</th>}
              {side === "Buyer" && <th scope="col">Seller account</th>}
              {!oneAgreement && <th scope="col">Agreement</th>}
              <th scope="col">Use</th>
              <th scope="col">Dimension</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
              <th scope="col">Quantity</th>
              <th scope="col">Price</th>
              <th scope="col">Amount</th>
              <th scope="col">Run</th>
            </tr>
          </thead>
          <tbody>
            {records.map((r) => (
              <tr key={`${r.ResourceArn}|${r.Dimension}|${r.StartTime}`} data-type={r.UsageType} data-dimension={r.Dimension}>
                <td>
                  <a href={`${BASE}/marketplace/${side === "Buyer" ? "catalog" : "products"}/${encodeURIComponent(r.ProductId)}`}>
                    <code>{r.ProductId}</code>
                  </a>
                </td>
                {side === "Seller" && <td><code class="party">{r.BuyerAccountId}</code></td>}
                {side === "Buyer" && <td><code class="party">{r.SellerAccountId}</code></td>}
                {!oneAgreement && <td>{r.AgreementId ? <code>{r.AgreementId}</code> : "—"}</td>}
                <td class="type">
                  {TYPE_LABEL[r.UsageType] ?? r.UsageType}
                  {r.InstanceType && r.UsageType !== "InferenceCount" && (
                    <div class="muted">
                      {r.InstanceCount} × {r.InstanceType}
                    </div>
                  )}
                </td>
                <td>
                  <code>{r.Dimension}</code>
                </td>
                <td>{formatTime(epoch(r.StartTime))}</td>
                <td class="duration">{duration(r.DurationSeconds)}</td>
                <td class="quantity" data-value={r.Quantity}>
                  {r.Unit === "Hrs" ? r.Quantity.toFixed(4) : r.Quantity} {r.Unit}
                </td>
                <td class="price">{money(r.Price, r.Currency)}</td>
                <td class="amount" data-value={r.Amount}>
                  {money(r.Amount, r.Currency)}
                </td>
                <td>
                  <RunLink arn={r.ResourceArn} mine={side !== "Seller"} />
                </td>
              </tr>
            ))}
          </tbody>
          {side !== "Own" && (
            <tfoot>
              {[...totals].map(([currency, total]) => (
                <tr key={currency} class="total" data-currency={currency}>
                  <th scope="row" colSpan={8 + (oneAgreement ? 0 : 1)}>
                    Total
                  </th>
                  <td class="amount" data-value={total}>
                    {money(total, currency)}
                  </td>
                  <td />
                </tr>
              ))}
            </tfoot>
          )}
        </table>
      </div>
    </Section>
  );
}

/** "1 h 02 min 05 s", "3 min 00 s", "42 s". */
function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (h) return `${h} h ${pad(m)} min ${pad(s)} s`;
  if (m) return `${m} min ${pad(s)} s`;
  return `${s} s`;
}

/**
 * The run a line meters: a link to its page when it is the caller's own
 * resource. ARNs carry names lowercased (as AWS's do), and the API finds
 * a resource by its name in any case, so the link works for any name.
 */
function RunLink({ arn, mine }: { arn: string; mine: boolean }) {
  const m = /^arn:[^:]+:sagemaker:[^:]*:\d+:(training-job|transform-job|endpoint)\/(.+)$/.exec(arn);
  if (!m || !mine) return <code class="arn">{arn.split(":").slice(5).join(":") || arn}</code>;
  const page = { "training-job": "training-jobs", "transform-job": "transform-jobs", endpoint: "endpoints" }[m[1]];
  return <a href={`${BASE}/${page}/${encodeURIComponent(m[2])}`}>{m[2]}</a>;
}
