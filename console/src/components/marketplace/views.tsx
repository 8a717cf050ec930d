// Views of a product's parts that the seller's product page and the
// buyer's listing page both show: a delivery option's instance types and an
// offer with its price per dimension.
import { ErrorBox, Facts, Loading, StatusBadge } from "../ui";
import { pricesOf, type Dimension, type OfferDocument } from "../../marketplace";

/** The instance types of one use ("Batch transform"), as tags. */
export function TypesList({ label, types }: { label: string; types: string[] | undefined }) {
  if (!types?.length) return null;
  return (
    <div class="types" data-use={label}>
      {label}:{" "}
      {types.map((t) => (
        <span key={t} class="tag">
          {t}
        </span>
      ))}
    </div>
  );
}

/** An offer: its id, name, state, pricing model and the price of each dimension. */
export function OfferView({
  offer,
  offerId,
  error,
  loading,
  dims,
}: {
  offer: OfferDocument | undefined;
  offerId: string | undefined;
  error: string | undefined;
  loading: boolean;
  dims: Dimension[];
}) {
  if (error) return <ErrorBox error={error} title="The offer could not be read." />;
  if (loading) return <Loading />;
  if (!offer) return <p class="empty">No offer on this product.</p>;
  const prices = pricesOf(offer);
  const keys = [...new Set([...dims.map((d) => d.Key), ...prices.keys()])];
  const named = new Map(dims.map((d) => [d.Key, d]));
  return (
    <>
      <Facts
        rows={[
          ["Offer ID", <code>{offerId}</code>],
          ["Name", offer.Name],
          ["State", <StatusBadge status={offer.State} />],
          ["Pricing model", offer.PricingModel ?? (prices.size && [...prices.values()].every((v) => Number(v) === 0) ? "Free" : undefined)],
        ]}
      />
      <div class="table-scroll">
        <table class="list prices">
          <thead>
            <tr>
              <th scope="col">Dimension</th>
              <th scope="col">Name</th>
              <th scope="col">USD per hour</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k} data-dimension={k}>
                <td>
                  <code>{k}</code>
                </td>
                <td>{named.get(k)?.Name ?? named.get(k)?.Description ?? ""}</td>
                <td class="price">{prices.get(k) ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
