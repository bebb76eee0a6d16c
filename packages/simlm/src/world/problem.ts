/**
 * A world's problems: generating one from a template, and — what makes the simulation honest —
 * reading one back from nothing but its task text, so every simulated role can work out the truth
 * (and the example's latent difficulty) the way a model would: by reading the question.
 */
import type { Rng } from "@maspo/core";
import { evaluate, parseExpression, parseTemplate, renderTemplate, type Expr, type TemplatePart, type Value } from "./expression.js";
import type { ProblemTemplate } from "./world-schema.js";

export interface CompiledTemplate {
  template: ProblemTemplate;
  text: TemplatePart[];
  /** Matches the task text; capture group i holds the var `slotVars[i]`. */
  pattern: RegExp;
  slotVars: string[];
  answer: Expr;
  facts: Map<string, TemplatePart[]>;
}

export interface Problem {
  template: CompiledTemplate;
  vars: Record<string, Value>;
  /** The ground-truth final answer, as text. */
  answer: string;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A literal run of template text as a pattern where any run of whitespace matches any other. */
function literalPattern(text: string): string {
  return text.split(/\s+/).map(escapeRegExp).join("\\s+");
}

export function compileTemplate(template: ProblemTemplate): CompiledTemplate {
  const text = parseTemplate(template.text);
  const slotVars: string[] = [];
  let pattern = "";
  for (const part of text) {
    if (part.kind === "text") {
      pattern += literalPattern(part.text);
      continue;
    }
    const name = part.expr.kind === "var" ? part.expr.name : part.source;
    const spec = template.vars[name];
    slotVars.push(name);
    pattern += spec && "choices" in spec ? `(${spec.choices.map(literalPattern).join("|")})` : "(-?\\d+)";
  }
  const facts = new Map<string, TemplatePart[]>();
  for (const [name, source] of Object.entries(template.facts)) facts.set(name, parseTemplate(source));
  return {
    template,
    text,
    pattern: new RegExp(pattern, "i"),
    slotVars,
    answer: parseExpression(template.answer),
    facts,
  };
}

export function solve(template: CompiledTemplate, vars: Readonly<Record<string, Value>>): string {
  return String(evaluate(template.answer, vars));
}

export function generateProblem(template: CompiledTemplate, rng: Rng): { problem: Problem; text: string } {
  const vars: Record<string, Value> = {};
  for (const [name, spec] of Object.entries(template.template.vars)) {
    vars[name] = "choices" in spec ? rng.pick(spec.choices) : spec.min + rng.int(spec.max - spec.min + 1);
  }
  const text = renderTemplate(template.text, vars);
  return { problem: { template, vars, answer: solve(template, vars) }, text };
}

/** Recognise the problem in a task text: the first template whose pattern matches consistently. */
export function recogniseProblem(templates: readonly CompiledTemplate[], taskText: string): Problem | undefined {
  const text = taskText.replace(/\s+/g, " ").trim();
  for (const template of templates) {
    const m = template.pattern.exec(text);
    if (!m) continue;
    const vars: Record<string, Value> = {};
    let consistent = true;
    template.slotVars.forEach((name, i) => {
      const raw = m[i + 1] ?? "";
      const spec = template.template.vars[name];
      const value: Value =
        spec && "choices" in spec ? (spec.choices.find((c) => c.toLowerCase() === raw.toLowerCase()) ?? raw) : Number(raw);
      if (vars[name] !== undefined && vars[name] !== value) consistent = false;
      vars[name] = value;
    });
    if (!consistent) continue;
    try {
      return { template, vars, answer: solve(template, vars) };
    } catch {
      // Numbers outside what the template can compute (e.g. a zero divisor) are not this template's problem.
      continue;
    }
  }
  return undefined;
}

export function renderFacts(template: CompiledTemplate, vars: Readonly<Record<string, Value>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, parts] of template.facts) out.set(name, renderTemplate(parts, vars));
  return out;
}

/** What a wrong agent believes: every number misread, so every fact and the answer come out different from the truth. */
export interface CorruptedView {
  facts: Map<string, string>;
  value: string;
}

export function corruptProblem(problem: Problem, rng: Rng): CorruptedView {
  const truth = renderFacts(problem.template, problem.vars);
  const numeric = Object.keys(problem.vars).filter((k) => typeof problem.vars[k] === "number");
  for (let attempt = 0; attempt < 24; attempt++) {
    const vars: Record<string, Value> = { ...problem.vars };
    for (const k of numeric) vars[k] = (vars[k] as number) + 1 + rng.int(attempt < 12 ? 3 : 9);
    try {
      const value = solve(problem.template, vars);
      if (value === problem.answer) continue;
      const facts = renderFacts(problem.template, vars);
      const factsDiffer = [...facts].every(([name, text]) => text !== truth.get(name) || !/\d/.test(text));
      if (factsDiffer) return { facts, value };
    } catch {
      continue;
    }
  }
  // Degenerate templates (no numbers that move the answer): the belief differs in the answer only.
  return { facts: truth, value: `${problem.answer}1` };
}
