import type { ComponentChildren } from "preact";
import { useLocation } from "preact-iso";
import { BASE } from "../config";
import { signOut, useSession } from "../session";

/** The navigation: one entry per resource type, in the seller's order. */
export const NAV: { href: string; label: string; group: string }[] = [
  { href: `${BASE}/model-packages`, label: "Model packages", group: "Marketplace resources" },
  { href: `${BASE}/model-package-groups`, label: "Model package groups", group: "Marketplace resources" },
  { href: `${BASE}/algorithms`, label: "Algorithms", group: "Marketplace resources" },
  { href: `${BASE}/training-jobs`, label: "Training jobs", group: "Jobs" },
  { href: `${BASE}/tuning-jobs`, label: "Hyperparameter tuning jobs", group: "Jobs" },
  { href: `${BASE}/transform-jobs`, label: "Batch transform jobs", group: "Jobs" },
  { href: `${BASE}/models`, label: "Models", group: "Inference" },
  { href: `${BASE}/endpoints`, label: "Endpoints", group: "Inference" },
  { href: `${BASE}/s3`, label: "S3 buckets", group: "Storage" },
  { href: `${BASE}/registry`, label: "Image registry", group: "Storage" },
  { href: `${BASE}/marketplace/products`, label: "Products", group: "Marketplace" },
  { href: `${BASE}/marketplace/change-sets`, label: "Change sets", group: "Marketplace" },
  { href: `${BASE}/marketplace/catalog`, label: "Catalog", group: "Marketplace" },
  { href: `${BASE}/marketplace/subscriptions`, label: "Subscriptions", group: "Marketplace" },
  { href: `${BASE}/marketplace/usage`, label: "Usage", group: "Marketplace" },
];

export function Layout({ children }: { children: ComponentChildren }) {
  const s = useSession();
  const { path } = useLocation();
  const groups = [...new Set(NAV.map((n) => n.group))];
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={`${BASE}/`}>
          Slipway
        </a>
        <span class="who" title={s?.arn}>
          Account {s?.account}
        </span>
        <button type="button" class="link" onClick={() => signOut("You signed out.")}>
          Sign out
        </button>
      </header>
      <nav class="side" aria-label="Console">
        {groups.map((g) => (
          <div key={g}>
            <h2>{g}</h2>
            <ul>
              {NAV.filter((n) => n.group === g).map((n) => (
                <li key={n.href}>
                  <a href={n.href} aria-current={path.startsWith(n.href) ? "page" : undefined}>
                    {n.label}
                  </a>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
