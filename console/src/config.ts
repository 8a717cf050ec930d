// What the server tells the page as it serves it: the region its
// signatures must name (a <meta> tag of index.html).
const meta = document.querySelector<HTMLMetaElement>('meta[name="slipway-region"]')?.content ?? "";
export const region = meta && !meta.startsWith("%") ? meta : "us-east-1";

/** Where the console lives; every route is below it (deep links). */
export const BASE = "/console";
