// Which form field an AWS error is about. The server names members two
// ways: constraint messages ("Value 'x' at 'inferenceSpecification.
// containers.1.member.modelDataUrl' failed to satisfy constraint", read by
// erroredMember) and its own rules, which quote the member in the API's
// spelling ("Image … in InferenceSpecification.Containers.1.Image cannot
// be found"). Both are matched against the form's fields by path prefix.
import { erroredMember } from "../../aws";

/** Field errors by member path ("InferenceSpecification.Containers.1.Image"). */
export type FieldErrors = Record<string, string>;

/**
 * The field of `fields` (member paths) that `e` is about, if any: the
 * longest field that the named member is, or lies inside.
 */
export function fieldOfError(
  e: unknown,
  fields: string[],
  nameField?: string,
  /** A form's own reading of messages that name no member path. */
  guess?: (message: string) => string | undefined,
): string | undefined {
  const message = (e as { message?: string }).message ?? "";
  const named: string[] = [];
  const fromConstraint = erroredMember(e);
  if (fromConstraint) named.push(fromConstraint.replace(/\.Member(?=\.|$)/g, ""));
  for (const m of message.matchAll(/\b[A-Z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)+\b/g)) named.push(m[0]);
  for (const f of fields) if (!f.includes(".") && new RegExp(`\\b${f}\\b`).test(message)) named.push(f);
  for (const member of named) {
    const hit = fields
      .filter((f) => member === f || member.startsWith(`${f}.`))
      .sort((a, b) => b.length - a.length)[0];
    if (hit) return hit;
  }
  if (nameField && /already exists?/i.test(message)) return nameField;
  const guessed = guess?.(message);
  return guessed && fields.includes(guessed) ? guessed : undefined;
}

/** The resource name rule of the API (EntityName). */
export const NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

export function nameProblem(name: string, noun: string): string | undefined {
  if (!name.trim()) return `Enter a ${noun} name.`;
  if (!NAME_PATTERN.test(name)) {
    return `A ${noun} name has 1–63 characters: letters, digits and hyphens, starting and ending with a letter or digit.`;
  }
  return undefined;
}

/** "a, b ,c" → ["a", "b", "c"]. */
export function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Messages about a validation profile's job definitions, which the server
 * checks against the resource's own specification ("… is not in the
 * InferenceSpecification's SupportedTransformInstanceTypes", "… is not
 * supported by channel 'train'", "… needs a TransformJobDefinition").
 */
export function profileFieldOf(message: string, transformKey: string, trainingKey: string): string | undefined {
  if (/TransformJobDefinition|InferenceSpecification's|batch transform/.test(message)) return transformKey;
  if (/TrainingJobDefinition|the algorithm's|by the algorithm|by channel '/.test(message)) return trainingKey;
  return undefined;
}
