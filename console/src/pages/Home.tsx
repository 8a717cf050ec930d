import { NAV } from "../components/Layout";
import { PageHeader } from "../components/ui";

export default function Home() {
  return (
    <>
      <PageHeader title="Slipway" />
      <p>
        Package your machine-learning product as a model package or an algorithm, validate it as AWS Marketplace does,
        and read why it failed.
      </p>
      <ul class="cards">
        {NAV.map((n) => (
          <li key={n.href}>
            <a href={n.href}>{n.label}</a>
          </li>
        ))}
      </ul>
    </>
  );
}
