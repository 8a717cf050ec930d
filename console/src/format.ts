export function formatTime(d: Date | undefined): string {
  if (!d) return "—";
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** The last segment of an ARN's resource part: its name. */
export function nameOfArn(arn: string | undefined): string {
  if (!arn) return "";
  return arn.slice(arn.lastIndexOf("/") + 1);
}

/** The Marketplace Catalog API's times are ISO-8601 strings ("2026-12-03T14:00:00Z"), not epoch numbers. */
export function formatIso(s: string | undefined): string {
  if (!s) return "—";
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : formatTime(d);
}
