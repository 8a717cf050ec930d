// Reading and writing one member of a JSON document kept as text (the
// validation profile): the form's shortcut fields (test data location, …)
// edit the document the seller sees in the editor, which stays the truth.

export type Path = (string | number)[];

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The string at `path`; "" when absent; undefined when the document is not JSON. */
export function readPath(text: string, path: Path): string | undefined {
  const doc = parse(text);
  if (doc === undefined) return undefined;
  let v: unknown = doc;
  for (const p of path) {
    if (v === null || typeof v !== "object") return "";
    v = (v as Record<string | number, unknown>)[p];
  }
  return typeof v === "string" ? v : "";
}

/** The document with `value` at `path` (objects and arrays made as needed); undefined when it is not JSON. */
export function writePath(text: string, path: Path, value: string): string | undefined {
  const doc = parse(text);
  if (doc === null || typeof doc !== "object") return undefined;
  let v = doc as Record<string | number, unknown>;
  path.forEach((p, i) => {
    if (i === path.length - 1) {
      v[p] = value;
      return;
    }
    const next = v[p];
    if (next === null || typeof next !== "object") v[p] = typeof path[i + 1] === "number" ? [] : {};
    v = v[p] as Record<string | number, unknown>;
  });
  return JSON.stringify(doc, null, 2);
}
