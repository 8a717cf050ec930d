// Completion from the service model: at the cursor, the members of the
// shape the enclosing object has (with their documentation), or the values
// a member may take (enumerations, true/false).
import { type Completion, type CompletionContext, type CompletionResult, snippet, snippetCompletion } from "@codemirror/autocomplete";
import { ensureSyntaxTree, syntaxTree } from "@codemirror/language";
import type { SyntaxNode } from "@lezer/common";
import { decode, describeShape, propertyParts, shapeOf, type Slice } from "./schema";
import type { Shape } from "./types";

type Step = { member: string } | "item";

/** The steps from the document's top to `container` (an Object or Array). */
function pathTo(container: SyntaxNode, slice: Slice): Step[] | undefined {
  const steps: Step[] = [];
  let node = container;
  for (;;) {
    const parent = node.parent;
    if (!parent || parent.name === "JsonText") return steps.reverse();
    if (parent.name === "Property") {
      const name = propertyParts(parent, slice).name;
      if (name === undefined) return undefined;
      steps.push({ member: name });
      node = parent.parent!;
      if (!node || node.name !== "Object") return undefined;
    } else if (parent.name === "Array") {
      steps.push("item");
      node = parent;
    } else {
      return undefined;
    }
  }
}

/** The shape at `steps` from `root`. */
function shapeAt(root: string, steps: Step[]): string | undefined {
  let name: string | undefined = root;
  for (const step of steps) {
    const s: Shape | undefined = name ? shapeOf(name) : undefined;
    if (!s) return undefined;
    if (step === "item") name = s.type === "list" ? s.member : undefined;
    else if (s.type === "structure") name = s.members?.[step.member]?.shape;
    else if (s.type === "map") name = s.value;
    else return undefined;
  }
  return name;
}

/** What the value of a member of this shape starts as, as a snippet. */
function skeleton(s: Shape | undefined): string {
  switch (s?.type) {
    case "structure":
    case "map":
      return "{${}}";
    case "list":
      return "[${}]";
    case "boolean":
      return "${true}";
    case "integer":
    case "long":
    case "float":
    case "double":
      return `\${${s.min && s.min > 0 ? s.min : 1}}`;
    default:
      return '"${}"';
  }
}

/** The innermost Object/Array whose braces enclose `pos`. */
function container(node: SyntaxNode | null, pos: number): SyntaxNode | null {
  for (let n = node; n; n = n.parent) {
    if ((n.name === "Object" || n.name === "Array") && n.from < pos && (pos < n.to || !closed(n))) return n;
  }
  return null;
}

function closed(n: SyntaxNode): boolean {
  return n.lastChild?.name === "}" || n.lastChild?.name === "]";
}

export function completeFromShapes(root: string) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const { state, pos } = ctx;
    const slice: Slice = (a, b) => state.sliceDoc(a, b);
    const at = (ensureSyntaxTree(state, state.doc.length, 200) ?? syntaxTree(state)).resolveInner(pos, -1);
    // What is being typed: a string token, or a bare (maybe half-quoted) word.
    let from = pos;
    let to = pos;
    if ((at.name === "PropertyName" || at.name === "String") && at.from < pos) {
      from = at.from;
      to = at.to;
    } else {
      const w = ctx.matchBefore(/"?[\w.:-]*/);
      if (w) from = w.from;
      if (w?.text.startsWith('"') && state.sliceDoc(pos, pos + 1) === '"') to = pos + 1;
    }
    // Typing opens the list; an empty position needs Ctrl-Space.
    if (!ctx.explicit && from === pos) return null;
    const box = container(at, from);
    if (!box) return null;
    const steps = pathTo(box, slice);
    const shapeName = steps && shapeAt(root, steps);
    const s = shapeName ? shapeOf(shapeName) : undefined;
    if (!s) return null;
    const before = state.sliceDoc(Math.max(box.from, from - 300), from).trimEnd();
    const prev = before.charAt(before.length - 1);
    if (box.name === "Object" && s.type === "structure" && (prev === "{" || prev === ",")) {
      return memberCompletions(box, s, slice, from, state.sliceDoc(to, to + 200).trimStart());
    }
    // A value: of the member named before the colon, or an item of a list.
    let valueShape: Shape | undefined;
    if (prev === ":" && box.name === "Object" && s.type === "structure") {
      const key = /"((?:[^"\\]|\\.)*)"\s*:$/.exec(before);
      const m = key ? s.members?.[decode(`"${key[1]}"`) ?? ""] : undefined;
      valueShape = m ? shapeOf(m.shape) : undefined;
    } else if ((prev === "[" || prev === ",") && box.name === "Array" && s.type === "list" && s.member) {
      valueShape = shapeOf(s.member);
    }
    const options = valueShape ? valueOptions(valueShape) : [];
    return options.length ? { from, to, options, validFor: /^"?[\w.:-]*"?$/ } : null;
  };
}

function memberCompletions(box: SyntaxNode, s: Shape, slice: Slice, from: number, after: string): CompletionResult {
  // The list filters on what follows the opening quote (labels are bare names);
  // accepting replaces the whole key, quotes included.
  const quoted = slice(from, from + 1) === '"';
  const typed = slice(from, from + 80);
  const present = new Set(
    box.getChildren("Property").map((p) => propertyParts(p, slice).name).filter((n): n is string => !!n),
  );
  const required = new Set(s.required ?? []);
  // A member inserted before another needs its comma.
  const comma = after.startsWith('"') ? "," : "";
  const options: Completion[] = Object.entries(s.members ?? {})
    .filter(([name]) => !present.has(name) || typed.startsWith(`"${name}"`))
    .map(([name, m]) => {
      const ms = shapeOf(m.shape);
      const insert = snippet(`"${name}": ${skeleton(ms)}${comma}`);
      return {
        label: name,
        type: "property",
        detail: `${required.has(name) ? "required · " : ""}${ms ? describeShape(ms) : m.shape}`,
        info: m.doc,
        boost: required.has(name) ? 1 : 0,
        apply: (view, completion, a, b) => {
          const start = view.state.sliceDoc(a - 1, a) === '"' ? a - 1 : a;
          const end = view.state.sliceDoc(b, b + 1) === '"' ? b + 1 : b;
          insert(view, completion, start, end);
        },
      };
    });
  return { from: quoted ? from + 1 : from, options, validFor: /^\w*$/ };
}

function valueOptions(s: Shape): Completion[] {
  if (s.type === "string" && s.enum) {
    return s.enum.map((v) => ({ label: JSON.stringify(v), displayLabel: v, type: "enum" }));
  }
  if (s.type === "boolean") return ["true", "false"].map((v) => ({ label: v, type: "keyword" }));
  if (s.type === "structure" || s.type === "map") return [snippetCompletion("{${}}", { label: "{}", detail: describeShape(s) })];
  if (s.type === "list") return [snippetCompletion("[${}]", { label: "[]", detail: describeShape(s) })];
  return [];
}
