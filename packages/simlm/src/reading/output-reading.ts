/**
 * Reading an output back from its text: which features it shows (by their markers) and whether any
 * content it states contradicts the truth worked out from the task. Successor agents, the judge and
 * the optimizer all see an output only this way.
 */
import { renderTemplate } from "../world/expression.js";
import type { CompiledWorld } from "../world/compiled-world.js";
import type { Problem } from "../world/problem.js";
import { renderFacts } from "../world/problem.js";

export interface ReadOutput {
  features: Set<string>;
  /** Some stated content contradicts the truth (always false when the truth is unknown). */
  wrong: boolean;
}

const CUT_MARK = /\s*(\[…\]|\[\.\.\.\]|…|\.\.\.)\s*$/;

/**
 * Does the text at a marker agree with the expected rendering? An output cut short (an excerpt in a
 * judge or optimizer prompt) agrees when what is left is a prefix of it.
 */
function agrees(actual: string, expected: string): boolean {
  if (actual.startsWith(expected)) return true;
  if (!CUT_MARK.test(actual)) return false;
  const shown = actual.replace(CUT_MARK, "");
  if (shown.length >= expected.length) return false;
  // The last word shown may itself be cut.
  return expected.startsWith(shown.replace(/\S*$/, "").trimEnd());
}

/** Render a feature as an agent believing these facts and this value would write it. */
export function renderFeature(cw: CompiledWorld, featureId: string, facts: ReadonlyMap<string, string>, value: string): string {
  const f = cw.features.get(featureId);
  if (!f) return "";
  const slots: Record<string, string> = { value };
  for (const [k, v] of facts) slots[k] = v;
  return renderTemplate(f.parts, slots);
}

export function readOutput(cw: CompiledWorld, text: string, problem: Problem | undefined): ReadOutput {
  const features = new Set<string>();
  let wrong = false;
  const truthFacts = problem ? renderFacts(problem.template, problem.vars) : undefined;
  for (const [id, f] of cw.features) {
    const at = text.indexOf(f.marker);
    if (at < 0) continue;
    features.add(id);
    if (!f.carrying || !problem || !truthFacts) continue;
    const expected = renderFeature(cw, id, truthFacts, problem.answer);
    const shownAt = text.slice(at);
    if (!agrees(shownAt, expected.slice(expected.indexOf(f.marker)))) wrong = true;
  }
  return { features, wrong };
}
