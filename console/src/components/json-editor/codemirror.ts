// The editor proper, loaded only when a page shows a JSON editor: CodeMirror 6
// with JSON syntax, the service-model checks as lint markers (schema.ts) and
// member completion (complete.ts).
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { json, jsonLanguage, jsonParseLinter } from "@codemirror/lang-json";
import {
  bracketMatching,
  defaultHighlightStyle,
  ensureSyntaxTree,
  indentOnInput,
  syntaxHighlighting,
  syntaxTree,
} from "@codemirror/language";
import { type Diagnostic, linter, lintGutter, lintKeymap } from "@codemirror/lint";
import { Annotation } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from "@codemirror/view";
import type { completeFromShapes } from "./complete";
import type { check } from "./schema";

export interface EditorProblem {
  line: number;
  severity: "error" | "warning";
  message: string;
}

export interface Options {
  value: string;
  /** The service-model shape the document must be. */
  root: string;
  /** The accessible name of the editing area (the field's label). */
  label: string;
  describedBy?: string;
  onChange: (value: string) => void;
  onProblems: (problems: EditorProblem[]) => void;
}

/** The service-model side, loaded alongside (its own chunk: the shapes are data). */
export interface Shapes {
  check: typeof check;
  completeFromShapes: typeof completeFromShapes;
}

export interface Handle {
  setValue(value: string): void;
  destroy(): void;
}

const syntaxLint = jsonParseLinter();
/** Marks a change that came from the page (setValue), not from the person typing: not echoed to onChange. */
const fromPage = Annotation.define<boolean>();

export function mount(parent: HTMLElement, o: Options, { check, completeFromShapes }: Shapes): Handle {
  const lint = linter(
    (view) => {
      // A syntax error first: the shape checks of a broken document only add noise.
      let found: Diagnostic[] = syntaxLint(view);
      if (!found.length) {
        const tree = ensureSyntaxTree(view.state, view.state.doc.length, 500) ?? syntaxTree(view.state);
        found = check(tree.topNode, (a, b) => view.state.sliceDoc(a, b), o.root);
      }
      const doc = view.state.doc;
      o.onProblems(
        found.map((d) => ({
          line: doc.lineAt(Math.min(d.from, doc.length)).number,
          severity: d.severity === "error" ? "error" : "warning",
          message: d.message,
        })),
      );
      return found;
    },
    { delay: 250 },
  );
  const view = new EditorView({
    parent,
    doc: o.value,
    extensions: [
      // basicSetup without search and folding (the documents are short).
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightActiveLine(),
      history(),
      drawSelection(),
      indentOnInput(),
      bracketMatching(),
      closeBrackets(),
      autocompletion(),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap]),
      json(),
      jsonLanguage.data.of({ autocomplete: completeFromShapes(o.root) }),
      lint,
      lintGutter(),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({
        "aria-label": o.label,
        ...(o.describedBy ? { "aria-describedby": o.describedBy } : {}),
      }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged && !u.transactions.some((t) => t.annotation(fromPage))) o.onChange(u.state.doc.toString());
      }),
    ],
  });
  return {
    setValue(value) {
      const current = view.state.doc.toString();
      if (value !== current) {
        view.dispatch({ changes: { from: 0, to: current.length, insert: value }, annotations: fromPage.of(true) });
      }
    },
    destroy: () => view.destroy(),
  };
}
