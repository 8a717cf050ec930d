// Checks a JSON document against a shape of the SageMaker service model,
// on the editor's syntax tree (so every problem has a position): unknown
// members, wrong types, missing required members, enum values, and the
// model's min/max/length/pattern constraints — the checks the server makes
// before it answers ValidationException, made as the seller types.
import type { SyntaxNode } from "@lezer/common";
import { SHAPES } from "./shapes.generated";
import type { Shape } from "./types";

export interface Problem {
  from: number;
  to: number;
  severity: "error" | "warning";
  message: string;
}

/** The document's text between two offsets. */
export type Slice = (from: number, to: number) => string;

const VALUE_NODES = new Set(["Object", "Array", "String", "Number", "True", "False", "Null"]);

export function shapeOf(name: string): Shape | undefined {
  return SHAPES[name];
}

/** A Property node's name (decoded), name node and value node. */
export function propertyParts(prop: SyntaxNode, slice: Slice) {
  const nameNode = prop.getChild("PropertyName");
  let value: SyntaxNode | null = null;
  for (let c = prop.lastChild; c; c = c.prevSibling) {
    if (c !== nameNode && VALUE_NODES.has(c.name)) {
      value = c;
      break;
    }
  }
  return { name: nameNode ? decode(slice(nameNode.from, nameNode.to)) : undefined, nameNode, value };
}

/** A JSON string token's value; undefined when it is not one. */
export function decode(token: string): string | undefined {
  try {
    const v: unknown = JSON.parse(token);
    return typeof v === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Every problem of the document whose top node is `top` (JsonText), against shape `root`. */
export function check(top: SyntaxNode, slice: Slice, root: string): Problem[] {
  const out: Problem[] = [];
  const value = top.firstChild;
  if (value && VALUE_NODES.has(value.name)) {
    new Checker(slice, out).value(value, root, { from: value.from, to: value.from + 1 });
  }
  return out;
}

interface Range {
  from: number;
  to: number;
}

const JSON_KIND: Record<string, string> = {
  Object: "an object",
  Array: "an array",
  String: "a string",
  Number: "a number",
  True: "true",
  False: "false",
  Null: "null",
};

/** What a shape's values look like, in words (messages and completion details). */
export function describeShape(s: Shape): string {
  switch (s.type) {
    case "structure":
      return "object";
    case "list":
      return `array${bounds(s, "item")}`;
    case "map":
      return `object (map)${bounds(s, "entry")}`;
    case "string":
      return s.enum ? "one of the listed values" : `string${bounds(s, "character")}`;
    case "integer":
    case "long":
      return `integer${range(s)}`;
    case "float":
    case "double":
      return `number${range(s)}`;
    default:
      return s.type;
  }
}

function bounds(s: Shape, unit: string): string {
  if (s.min !== undefined && s.max !== undefined && (s.min > 0 || s.max < 1e6)) {
    return ` of ${s.min}–${s.max} ${unit}s`;
  }
  if (s.min) return ` of at least ${s.min} ${unit}${s.min === 1 ? "" : "s"}`;
  if (s.max !== undefined) return ` of at most ${s.max} ${unit}s`;
  return "";
}

function range(s: Shape): string {
  if (s.min !== undefined && s.max !== undefined) return ` from ${s.min} to ${s.max}`;
  if (s.min !== undefined) return ` ≥ ${s.min}`;
  if (s.max !== undefined) return ` ≤ ${s.max}`;
  return "";
}

const compiled = new Map<string, RegExp | null>();
/** The model's pattern as a whole-value JavaScript regex (null if JS cannot compile it). */
function pattern(p: string): RegExp | null {
  if (!compiled.has(p)) {
    let re: RegExp | null = null;
    try {
      re = new RegExp(`^(?:${p})$`, "s");
    } catch {
      re = null;
    }
    compiled.set(p, re);
  }
  return compiled.get(p) ?? null;
}

/** The closest of `names` to `name`, when it is a likely typo. */
export function suggestion(name: string, names: string[]): string | undefined {
  const lower = name.toLowerCase();
  return (
    names.find((n) => n.toLowerCase() === lower) ??
    names.find((n) => n.toLowerCase().startsWith(lower) || lower.startsWith(n.toLowerCase()))
  );
}

class Checker {
  constructor(
    private slice: Slice,
    private out: Problem[],
  ) {}

  private report(r: Range, message: string, severity: Problem["severity"] = "error") {
    this.out.push({ from: r.from, to: Math.max(r.to, r.from + 1), severity, message });
  }

  /** `anchor`: where a problem of the whole value is shown (the member's name, or the brace). */
  value(node: SyntaxNode, shapeName: string, anchor: Range) {
    const s = SHAPES[shapeName];
    if (!s) return;
    const here = node.name === "Object" || node.name === "Array" ? { from: node.from, to: node.from + 1 } : node;
    if (node.name === "Null") {
      this.report(node, "null leaves this member unset; remove it instead.", "warning");
      return;
    }
    const expected = expectedKind(s);
    if (!expected.includes(node.name)) {
      this.report(here, `Expected ${describeShape(s)}, found ${JSON_KIND[node.name] ?? "something else"}.`);
      return;
    }
    switch (s.type) {
      case "structure":
        return this.structure(node, shapeName, s, anchor);
      case "list":
        return this.list(node, s, here);
      case "map":
        return this.map(node, s, here);
      case "string":
        return this.string(node, shapeName, s);
      case "integer":
      case "long":
      case "float":
      case "double":
        return this.number(node, s);
    }
  }

  private structure(node: SyntaxNode, shapeName: string, s: Shape, anchor: Range) {
    const members = s.members ?? {};
    const names = Object.keys(members);
    const seen = new Set<string>();
    for (const prop of node.getChildren("Property")) {
      const { name, nameNode, value } = propertyParts(prop, this.slice);
      if (name === undefined || !nameNode) continue;
      if (seen.has(name)) this.report(nameNode, `"${name}" appears more than once.`);
      seen.add(name);
      const m = members[name];
      if (!m) {
        const hint = suggestion(name, names);
        this.report(
          nameNode,
          `Unknown member "${name}" of ${shapeName}.` +
            (hint ? ` Did you mean "${hint}"?` : ` Its members: ${names.join(", ")}.`),
        );
        continue;
      }
      if (value) this.value(value, m.shape, nameNode);
      if (value?.name === "Null") seen.delete(name);
    }
    const missing = (s.required ?? []).filter((r) => !seen.has(r));
    if (missing.length) {
      this.report(
        anchor,
        `Missing required member${missing.length > 1 ? "s" : ""} of ${shapeName}: ${missing.map((m) => `"${m}"`).join(", ")}.`,
      );
    }
  }

  private count(n: number, s: Shape, r: Range, unit: string) {
    if (s.min !== undefined && n < s.min) this.report(r, `At least ${s.min} ${unit}${s.min === 1 ? "" : "s"} needed; found ${n}.`);
    if (s.max !== undefined && n > s.max) this.report(r, `At most ${s.max} ${unit}s allowed; found ${n}.`);
  }

  private list(node: SyntaxNode, s: Shape, here: Range) {
    const items: SyntaxNode[] = [];
    for (let c = node.firstChild; c; c = c.nextSibling) if (VALUE_NODES.has(c.name)) items.push(c);
    this.count(items.length, s, here, "item");
    for (const item of items) this.value(item, s.member!, { from: item.from, to: item.from + 1 });
  }

  private map(node: SyntaxNode, s: Shape, here: Range) {
    const props = node.getChildren("Property");
    this.count(props.length, s, here, "entry");
    for (const prop of props) {
      const { name, nameNode, value } = propertyParts(prop, this.slice);
      if (name === undefined || !nameNode) continue;
      const keyShape = s.key ? SHAPES[s.key] : undefined;
      if (keyShape) this.text(name, nameNode, s.key!, keyShape);
      if (value && s.value) this.value(value, s.value, nameNode);
    }
  }

  private string(node: SyntaxNode, shapeName: string, s: Shape) {
    const v = decode(this.slice(node.from, node.to));
    if (v !== undefined) this.text(v, node, shapeName, s);
  }

  private text(v: string, r: Range, shapeName: string, s: Shape) {
    if (s.enum) {
      if (!s.enum.includes(v)) {
        const hint = suggestion(v, s.enum);
        const list = s.enum.length > 12 ? `${s.enum.slice(0, 12).join(", ")}, …` : s.enum.join(", ");
        this.report(r, `"${v}" is not a valid ${shapeName}.` + (hint ? ` Did you mean "${hint}"?` : ` Valid values: ${list}.`));
      }
      return;
    }
    const n = [...v].length;
    if (s.min !== undefined && n < s.min) this.report(r, `Must be at least ${s.min} character${s.min === 1 ? "" : "s"} long.`);
    if (s.max !== undefined && n > s.max) this.report(r, `Must be at most ${s.max} characters long.`);
    const re = s.pattern ? pattern(s.pattern) : null;
    if (re && n > 0 && !re.test(v)) this.report(r, `Must match the pattern ${s.pattern} (${shapeName}).`);
  }

  private number(node: SyntaxNode, s: Shape) {
    const v = Number(this.slice(node.from, node.to));
    if ((s.type === "integer" || s.type === "long") && !Number.isInteger(v)) {
      this.report(node, "Must be a whole number.");
      return;
    }
    if (s.min !== undefined && v < s.min) this.report(node, `Must be at least ${s.min}.`);
    if (s.max !== undefined && v > s.max) this.report(node, `Must be at most ${s.max}.`);
  }
}

function expectedKind(s: Shape): string[] {
  switch (s.type) {
    case "structure":
    case "map":
      return ["Object"];
    case "list":
      return ["Array"];
    case "string":
    case "blob":
      return ["String"];
    case "boolean":
      return ["True", "False"];
    case "timestamp":
      return ["Number", "String"];
    default:
      return ["Number"];
  }
}
