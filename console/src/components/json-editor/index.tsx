// A JSON editor that knows the API: the document is checked against a shape
// of the SageMaker service model as the seller types (lint markers, and the
// same problems listed under the editor), and completion offers the members
// of the shape at the cursor with their documentation. CodeMirror loads only
// with the first editor shown, so pages without one stay small.
import { useEffect, useRef, useState } from "preact/hooks";
import type { EditorProblem, Handle } from "./codemirror";

export type { EditorProblem };

export function JsonEditor({
  id,
  label,
  value,
  onChange,
  root,
  onProblems,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** The service-model shape the document must be, e.g. "TransformJobDefinition". */
  root: string;
  onProblems?: (problems: EditorProblem[]) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const handle = useRef<Handle | undefined>(undefined);
  const [problems, setProblems] = useState<EditorProblem[]>([]);
  const [failed, setFailed] = useState(false);
  // The latest callbacks, without re-creating the editor on each render.
  const latest = useRef({ onChange, onProblems, value });
  latest.current = { onChange, onProblems, value };

  useEffect(() => {
    let gone = false;
    Promise.all([import("./codemirror"), import("./schema"), import("./complete")]).then(
      ([m, schema, complete]) => {
        if (gone || !host.current) return;
        const shapes = { check: schema.check, completeFromShapes: complete.completeFromShapes };
        handle.current = m.mount(host.current, {
          value: latest.current.value,
          root,
          label,
          describedBy: `${id}-problems`,
          onChange: (v) => {
            emitted.current = [...emitted.current.slice(-49), v];
            latest.current.onChange(v);
          },
          onProblems: (p) => {
            setProblems(p);
            latest.current.onProblems?.(p);
          },
        }, shapes);
      },
      () => setFailed(true),
    );
    return () => {
      gone = true;
      handle.current?.destroy();
      handle.current = undefined;
    };
  }, [root, id, label]);

  // What the editor itself reported lately: a `value` among them is an echo of
  // typing (maybe of an older keystroke, as renders lag behind typing) and must
  // not be written back; any other value is a change from the page (a field
  // that edits a member) and replaces the text.
  const emitted = useRef<string[]>([]);
  useEffect(() => {
    if (emitted.current.includes(value) || !handle.current) return;
    handle.current.setValue(value);
    // Echoes of typing before this change are obsolete.
    emitted.current = [];
  }, [value]);

  if (failed) {
    // The editor's code could not be loaded: a plain text area still works.
    return (
      <textarea
        id={id}
        class="json-fallback"
        rows={16}
        value={value}
        onInput={(e) => onChange((e.target as HTMLTextAreaElement).value)}
      />
    );
  }
  return (
    <div class="json-editor">
      <div ref={host} id={id} class="json-editor-host" data-root={root} />
      <div id={`${id}-problems`} class="json-problems" aria-live="polite">
        {problems.length > 0 && (
          <ul>
            {problems.map((p, i) => (
              <li key={i} class={p.severity}>
                Line {p.line}: {p.message}
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
