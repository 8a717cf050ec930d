// A multi-step form, as the AWS console lays its create pages out: the
// steps listed on the side (each reachable directly, marked when it holds
// errors), one step's fields at a time, Previous / Next, and the final
// action on the last step.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

export function Wizard({
  steps,
  current,
  onStep,
  withErrors,
  onNext,
  finish,
  children,
}: {
  steps: string[];
  current: number;
  onStep: (i: number) => void;
  /** Indexes of the steps that hold a field error. */
  withErrors: Set<number>;
  /** Called by Next; returns false to stay (the step's own checks failed). */
  onNext: () => boolean;
  /** The last step's action (the create button). */
  finish: ComponentChildren;
  children: ComponentChildren;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  useEffect(() => {
    // Moving between steps moves the focus to the step's heading (keyboard and screen readers follow).
    if (first.current) first.current = false;
    else heading.current?.focus();
  }, [current]);
  return (
    <div class="wizard">
      <nav class="wizard-steps" aria-label="Steps">
        <ol>
          {steps.map((s, i) => (
            <li key={s}>
              <button
                type="button"
                class="link"
                aria-current={i === current ? "step" : undefined}
                onClick={() => onStep(i)}
              >
                <span class="step-number">Step {i + 1}</span> {s}
                {withErrors.has(i) && <span class="step-error"> (has errors)</span>}
              </button>
            </li>
          ))}
        </ol>
      </nav>
      <section class="panel wizard-body">
        <h2 tabIndex={-1} ref={heading}>
          Step {current + 1}: {steps[current]}
        </h2>
        {children}
        <div class="wizard-actions">
          {current > 0 && (
            <button type="button" onClick={() => onStep(current - 1)}>
              Previous
            </button>
          )}
          {current < steps.length - 1 ? (
            <button type="button" class="primary" onClick={() => onNext() && onStep(current + 1)}>
              Next
            </button>
          ) : (
            finish
          )}
        </div>
      </section>
    </div>
  );
}
