// The "AWS Marketplace" section of a model package's or an algorithm's page:
// the way to the Publish form when AWS Marketplace would take the resource
// (Completed and certified for Marketplace), otherwise why not. It imports
// no Marketplace client: the form loads its own code when opened.
import { BASE } from "../../config";
import { Section } from "../ui";

export interface PublishState {
  kind: "model-package" | "algorithm";
  status?: string;
  certified: boolean;
  /** A version in a model package group (never listable). */
  versioned: boolean;
}

/**
 * Why a resource cannot be published, one sentence per reason; empty when
 * it can. Mirrors what AWS Marketplace refuses at AddDeliveryOptions.
 */
export function whyNotPublishable(r: PublishState): string[] {
  const noun = r.kind === "model-package" ? "model package" : "algorithm";
  const why: string[] = [];
  if (r.versioned) {
    why.push("It is a version in a model package group: AWS Marketplace lists only unversioned model packages.");
  } else if (!r.certified) {
    why.push(
      `It was created without CertifyForMarketplace: AWS Marketplace lists only a ${noun} certified when it was created. ` +
        `Create a new one with “Publish this ${noun} in AWS Marketplace” chosen.`,
    );
  }
  if (r.status !== "Completed") {
    why.push(
      r.status === "Failed"
        ? "Its validation failed: fix what the validation reports and create it again."
        : `Its validation has not completed (status ${r.status ?? "unknown"}): it can be published once it is Completed.`,
    );
  }
  return why;
}

export function CannotPublish({ why }: { why: string[] }) {
  return (
    <div class="notice cannot-publish" role="note">
      <strong>This cannot be published in AWS Marketplace.</strong>
      <ul>
        {why.map((w) => (
          <li key={w}>{w}</li>
        ))}
      </ul>
    </div>
  );
}

export function PublishAction({ name, ...state }: PublishState & { name: string }) {
  const why = whyNotPublishable(state);
  const path = state.kind === "model-package" ? "model-packages" : "algorithms";
  return (
    <Section title="AWS Marketplace">
      {why.length ? (
        <CannotPublish why={why} />
      ) : (
        <p class="publish-ready">
          Validated and certified: AWS Marketplace can list it.{" "}
          <a class="button primary" href={`${BASE}/marketplace/publish/${path}/${encodeURIComponent(name)}`}>
            Publish in AWS Marketplace
          </a>
        </p>
      )}
    </Section>
  );
}
