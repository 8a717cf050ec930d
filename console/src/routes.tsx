// Every page of the console, by path (deep links: each page has its own
// URL under /console/). Pages are loaded on first visit, so the sign-in
// page and the shell stay small.
import type { ComponentType } from "preact";
import { lazy } from "preact-iso";
import { BASE } from "./config";

type Page = ComponentType<Record<string, unknown>>;

export const ROUTES: [string, Page][] = [
  ["/", lazy(() => import("./pages/Home"))],
  ["/model-packages", lazy(() => import("./pages/model-packages/List"))],
  ["/model-packages/create", lazy(() => import("./pages/model-packages/Create"))],
  ["/model-packages/:id", lazy(() => import("./pages/model-packages/Detail"))],
  ["/model-package-groups", lazy(() => import("./pages/model-package-groups/List"))],
  ["/model-package-groups/:name", lazy(() => import("./pages/model-package-groups/Detail"))],
  ["/algorithms", lazy(() => import("./pages/algorithms/List"))],
  ["/algorithms/create", lazy(() => import("./pages/algorithms/Create"))],
  ["/algorithms/:name", lazy(() => import("./pages/algorithms/Detail"))],
  ["/training-jobs", lazy(() => import("./pages/training-jobs/List"))],
  ["/training-jobs/:name", lazy(() => import("./pages/training-jobs/Detail"))],
  ["/tuning-jobs", lazy(() => import("./pages/tuning-jobs/List"))],
  ["/tuning-jobs/:name", lazy(() => import("./pages/tuning-jobs/Detail"))],
  ["/transform-jobs", lazy(() => import("./pages/transform-jobs/List"))],
  ["/transform-jobs/:name", lazy(() => import("./pages/transform-jobs/Detail"))],
  ["/models", lazy(() => import("./pages/models/List"))],
  ["/models/:name", lazy(() => import("./pages/models/Detail"))],
  ["/endpoints", lazy(() => import("./pages/endpoints/List"))],
  ["/endpoints/create", lazy(() => import("./pages/endpoints/Create"))],
  ["/endpoints/:name", lazy(() => import("./pages/endpoints/Detail"))],
  ["/s3", lazy(() => import("./pages/s3/Buckets"))],
  ["/s3/:bucket", lazy(() => import("./pages/s3/Objects"))],
  ["/registry", lazy(() => import("./pages/registry/Repositories"))],
  ["/registry/:name", lazy(() => import("./pages/registry/Repository"))],
  ["/marketplace/products", lazy(() => import("./pages/marketplace/Products"))],
  ["/marketplace/products/:id", lazy(() => import("./pages/marketplace/Product"))],
  ["/marketplace/products/:id/add-version", lazy(() => import("./pages/marketplace/AddVersion"))],
  ["/marketplace/change-sets", lazy(() => import("./pages/marketplace/ChangeSets"))],
  ["/marketplace/change-sets/:id", lazy(() => import("./pages/marketplace/ChangeSet"))],
  ["/marketplace/publish/:kind/:name", lazy(() => import("./pages/marketplace/Publish"))],
  ["/marketplace/catalog", lazy(() => import("./pages/marketplace/Catalog"))],
  ["/marketplace/catalog/:id", lazy(() => import("./pages/marketplace/Listing"))],
  ["/marketplace/subscriptions", lazy(() => import("./pages/marketplace/Subscriptions"))],
  ["/marketplace/usage", lazy(() => import("./pages/marketplace/Usage"))],
].map(([p, c]) => [`${BASE}${p}`, c as unknown as Page]);

export const NotFound = lazy(() => import("./pages/NotFound")) as unknown as Page;
