// The account's Marketplace subscriptions (ListSubscriptions): the
// products it subscribes to as a buyer, and, for a seller, who subscribes
// to its products.
import { ErrorBox, Loading, PageHeader, Section, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";
import { useLoad } from "../../hooks";
import { epoch, listSubscriptions, type Subscription } from "../../subscriptions";

export default function Subscriptions() {
  return (
    <>
      <PageHeader title="Subscriptions" />
      <p class="intro">
        An active subscription lets an account use a product's versions by ARN. Subscribe from a product's page in the{" "}
        <a href={`${BASE}/marketplace/catalog`}>catalog</a>.
      </p>
      <SubscriptionTable role="Buyer" title="My subscriptions" empty="Your account subscribes to no product." />
      <SubscriptionTable role="Seller" title="Subscribers to my products" empty="Nobody subscribes to your products yet." />
    </>
  );
}

function SubscriptionTable({ role, title, empty }: { role: "Buyer" | "Seller"; title: string; empty: string }) {
  const { data, error } = useLoad(() => listSubscriptions({ role }), [role], 10_000);
  const product = (s: Subscription) =>
    role === "Buyer" ? `${BASE}/marketplace/catalog/${encodeURIComponent(s.ProductId)}` : `${BASE}/marketplace/products/${encodeURIComponent(s.ProductId)}`;
  return (
    <Section title={title}>
      <ErrorBox error={error} />
      {!data && !error && <Loading />}
      {data && !data.length && <p class="empty">{empty}</p>}
      {!!data?.length && (
        <div class="table-scroll">
          <table class="list subscriptions" data-role={role}>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col">{role === "Buyer" ? "Seller account" : "Buyer account"}</th>
                <th scope="col">Status</th>
                <th scope="col">Agreement</th>
                <th scope="col">Since</th>
                <th scope="col">Ended</th>
                <th scope="col">Usage</th>
              </tr>
            </thead>
            <tbody>
              {data.map((s) => (
                <tr key={s.AgreementId} data-agreement={s.AgreementId} data-product={s.ProductId}>
                  <td>
                    <a href={product(s)}>{s.ProductTitle || s.ProductId}</a>
                  </td>
                  <td>
                    <code class="party">{role === "Buyer" ? s.SellerAccountId : s.BuyerAccountId}</code>
                  </td>
                  <td>
                    <StatusBadge status={s.Status} />
                  </td>
                  <td>
                    <code>{s.AgreementId}</code>
                  </td>
                  <td>{formatTime(epoch(s.StartTime))}</td>
                  <td>{formatTime(epoch(s.EndTime))}</td>
                  <td>
                    <a class="usage-link" href={`${BASE}/marketplace/usage?agreement=${encodeURIComponent(s.AgreementId)}`}>
                      Usage
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
