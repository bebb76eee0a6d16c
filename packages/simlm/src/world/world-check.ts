/**
 * The checks a world file must pass beyond its shape: references between agents, features and
 * directives; templates that can be read back from their text; trigger phrases that recognise their
 * own directive and no other; initial prompts that are recognised as their agent. Every problem is
 * collected with its path, so a world author fixes the file in one pass.
 */
import { renderAgentPrompt, type Issue } from "@maspo/core";
import {
  evaluate,
  ExpressionSyntaxError,
  expressionVariables,
  parseExpression,
  parseTemplate,
  type TemplatePart,
  type Value,
} from "./expression.js";
import { compileWorld, featureMarker, topologicalOrder } from "./compiled-world.js";
import { sentenceCarries } from "../reading/phrase-match.js";
import { detectDirectives, recogniseAgent } from "../reading/prompt-reading.js";
import type { World } from "./world-schema.js";

/** The oracle enumerates every directive subset; beyond this many combinations it would not finish in seconds. */
export const MAX_ORACLE_COMBINATIONS = 1 << 20;

function closest(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d <= Math.max(2, Math.floor(k.length / 3)) && (!best || d < best.d)) best = { name: k, d };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}

function reference(issues: Issue[], path: string, what: string, name: string, known: readonly string[]): void {
  if (known.includes(name)) return;
  const suggestion = closest(name, known);
  issues.push({
    path,
    expected: `the id of ${what} (one of: ${known.join(", ") || "none"})`,
    found: `"${name}"`,
    ...(suggestion ? { hint: `did you mean "${suggestion}"?` } : {}),
  });
}

function parsedTemplate(issues: Issue[], path: string, source: string): TemplatePart[] | undefined {
  try {
    return parseTemplate(source);
  } catch (e) {
    issues.push({
      path,
      expected: "a template whose {slots} are valid expressions",
      found: `"${source}"`,
      hint: e instanceof ExpressionSyntaxError ? e.message : String(e),
    });
    return undefined;
  }
}

function checkTemplates(world: World, issues: Issue[]): void {
  world.data.templates.forEach((t, ti) => {
    const base = `data.templates[${ti}]`;
    const varNames = Object.keys(t.vars);
    for (const [name, spec] of Object.entries(t.vars)) {
      if ("min" in spec && spec.min > spec.max)
        issues.push({ path: `${base}.vars.${name}`, expected: "min <= max", found: `min ${spec.min}, max ${spec.max}` });
    }
    const text = parsedTemplate(issues, `${base}.text`, t.text);
    if (text) {
      const used = new Set<string>();
      text.forEach((part, i) => {
        if (part.kind !== "slot") return;
        if (part.expr.kind !== "var")
          issues.push({
            path: `${base}.text`,
            expected: "only {var} slots in task text (it must be readable back)",
            found: `{${part.source}}`,
          });
        else {
          reference(issues, `${base}.text`, "a variable of this template", part.expr.name, varNames);
          used.add(part.expr.name);
        }
        if (text[i + 1]?.kind === "slot")
          issues.push({
            path: `${base}.text`,
            expected: "literal text between two slots",
            found: `{${part.source}} directly followed by another slot`,
          });
      });
      for (const v of varNames)
        if (!used.has(v))
          issues.push({
            path: `${base}.vars.${v}`,
            expected: "a variable that appears in the task text",
            found: "a variable the text never shows",
            hint: "simlm reads problems back from their text",
          });
    }
    const minVars: Record<string, Value> = {};
    const maxVars: Record<string, Value> = {};
    for (const [name, spec] of Object.entries(t.vars)) {
      minVars[name] = "choices" in spec ? (spec.choices[0] ?? "") : spec.min;
      maxVars[name] = "choices" in spec ? (spec.choices[spec.choices.length - 1] ?? "") : spec.max;
    }
    try {
      const answer = parseExpression(t.answer);
      for (const v of expressionVariables(answer)) reference(issues, `${base}.answer`, "a variable of this template", v, varNames);
      for (const vars of [minVars, maxVars]) {
        try {
          if (typeof evaluate(answer, vars) !== "number")
            issues.push({ path: `${base}.answer`, expected: "a numeric answer", found: "text" });
        } catch (e) {
          issues.push({
            path: `${base}.answer`,
            expected: "an answer computable for every value in the var ranges",
            found: `"${t.answer}"`,
            hint: (e as Error).message,
          });
        }
      }
    } catch (e) {
      issues.push({
        path: `${base}.answer`,
        expected: "an expression over the template's variables",
        found: `"${t.answer}"`,
        hint: (e as Error).message,
      });
    }
    for (const [name, source] of Object.entries(t.facts)) {
      const parts = parsedTemplate(issues, `${base}.facts.${name}`, source);
      if (!parts) continue;
      const vars = new Set<string>();
      for (const p of parts) if (p.kind === "slot") expressionVariables(p.expr, vars);
      for (const v of vars) reference(issues, `${base}.facts.${name}`, "a variable of this template", v, varNames);
      if (![...vars].some((v) => "min" in (t.vars[v] ?? { choices: [] }))) {
        issues.push({
          path: `${base}.facts.${name}`,
          expected: "a fact that states at least one number from the problem",
          found: `"${source}"`,
          hint: "a wrong agent is told apart by its numbers",
        });
      }
    }
  });
}

function checkFeatures(world: World, issues: Issue[]): void {
  const factNames = new Set(world.data.templates.flatMap((t) => Object.keys(t.facts)));
  const markers: Array<{ id: string; marker: string }> = [];
  for (const [id, f] of Object.entries(world.features)) {
    const parts = parsedTemplate(issues, `features.${id}.text`, f.text);
    if (!parts) continue;
    for (const p of parts) {
      if (p.kind !== "slot") continue;
      if (p.expr.kind !== "var") {
        issues.push({ path: `features.${id}.text`, expected: "slots naming a fact or {value}", found: `{${p.source}}` });
        continue;
      }
      const name = p.expr.name;
      if (name === "value") continue;
      world.data.templates.forEach((t, ti) => {
        if (!(name in t.facts))
          issues.push({
            path: `data.templates[${ti}].facts`,
            expected: `a fact "${name}" (used by features.${id})`,
            found: "none",
            ...(closest(name, [...factNames]) ? { hint: `did you mean "${closest(name, [...factNames])}"?` } : {}),
          });
      });
    }
    const marker = parts.some((p) => p.kind === "slot") ? featureMarker(parts) : f.text.trim();
    if (marker.length < 3)
      issues.push({
        path: `features.${id}.text`,
        expected: "text that starts with a literal marker of 3+ characters before any slot",
        found: `"${f.text}"`,
      });
    else markers.push({ id, marker });
  }
  for (const a of markers) {
    for (const [id, f] of Object.entries(world.features)) {
      if (id !== a.id && f.text.includes(a.marker))
        issues.push({
          path: `features.${a.id}.text`,
          expected: "a marker no other feature's text contains",
          found: `"${a.marker}", also inside features.${id}`,
        });
    }
  }
}

function checkAgents(world: World, issues: Issue[]): boolean {
  const ids = world.agents.map((a) => a.id);
  const featureIds = Object.keys(world.features);
  ids.forEach((id, i) => {
    if (ids.indexOf(id) !== i) issues.push({ path: `agents[${i}].id`, expected: "a unique agent id", found: `"${id}" again` });
  });
  reference(issues, "final", "an agent", world.final, ids);
  world.agents.forEach((agent, ai) => {
    const base = `agents[${ai}]`;
    agent.predecessors.forEach((p, pi) => {
      if (p === agent.id) issues.push({ path: `${base}.predecessors[${pi}]`, expected: "another agent", found: `"${p}" (itself)` });
      else reference(issues, `${base}.predecessors[${pi}]`, "an agent", p, ids);
    });
    if (agent.id === world.final && world.agents.some((o) => o.predecessors.includes(agent.id))) {
      issues.push({ path: "final", expected: "an agent no other agent reads from", found: `"${agent.id}", a predecessor of others` });
    }
    const directiveIds = agent.directives.map((d) => d.id);
    agent.emits.forEach((f, i) => reference(issues, `${base}.emits[${i}]`, "a feature", f, featureIds));
    agent.directives.forEach((d, di) => {
      if (directiveIds.indexOf(d.id) !== di)
        issues.push({ path: `${base}.directives[${di}].id`, expected: "a directive id unique within the agent", found: `"${d.id}" again` });
      d.adds.forEach((f, i) => reference(issues, `${base}.directives[${di}].adds[${i}]`, "a feature", f, featureIds));
      d.removes.forEach((f, i) => reference(issues, `${base}.directives[${di}].removes[${i}]`, "a feature", f, featureIds));
    });
    agent.inputs.forEach((r, ri) => {
      reference(issues, `${base}.inputs[${ri}].feature`, "a feature", r.feature, featureIds);
      if (r.directive !== undefined)
        reference(issues, `${base}.inputs[${ri}].directive`, `a directive of ${agent.id}`, r.directive, directiveIds);
    });
    agent.failures.forEach((f, fi) => {
      const w = f.when;
      for (const key of ["has", "missing", "contextHas", "contextMissing"] as const) {
        w[key].forEach((x, i) => reference(issues, `${base}.failures[${fi}].when.${key}[${i}]`, "a feature", x, featureIds));
      }
      const target = "add" in f.fix ? f.fix.add : f.fix.remove;
      reference(
        issues,
        `${base}.failures[${fi}].fix.${"add" in f.fix ? "add" : "remove"}`,
        `a directive of ${agent.id}`,
        target,
        directiveIds,
      );
    });
  });
  const combos = world.agents.reduce((n, a) => n * 2 ** a.directives.length, 1);
  if (combos > MAX_ORACLE_COMBINATIONS) {
    issues.push({
      path: "agents",
      expected: `at most ${MAX_ORACLE_COMBINATIONS} directive combinations in all (the oracle enumerates them)`,
      found: `${combos}`,
      hint: "keep catalogues to about 4-6 directives per agent",
    });
  }
  if (world.agents.every((a) => a.predecessors.every((p) => ids.includes(p) && p !== a.id)) && !topologicalOrder(world.agents)) {
    issues.push({ path: "agents", expected: "an acyclic graph (a DAG)", found: "a cycle through predecessors" });
    return false;
  }
  return true;
}

/** Phrases must mean what they say: each trigger recognises its own directive and no sibling; prompts their agent. */
function checkRecognition(world: World, issues: Issue[]): void {
  const cw = compileWorld(world);
  world.agents.forEach((agent, ai) => {
    agent.directives.forEach((d, di) => {
      d.triggers.forEach((t, ti) => {
        const path = `agents[${ai}].directives[${di}].triggers[${ti}]`;
        if (!sentenceCarries(t, t)) issues.push({ path, expected: "a phrase that recognises itself", found: `"${t}"` });
        for (const other of agent.directives) {
          if (other.id !== d.id && other.triggers.some((o) => sentenceCarries(t, o))) {
            issues.push({ path, expected: `a phrase only directive "${d.id}" carries`, found: `"${t}", also read as "${other.id}"` });
          }
        }
      });
    });
    const prompt = renderAgentPrompt(agent.prompt);
    const seen = recogniseAgent(cw, prompt);
    if (seen?.id !== agent.id) {
      issues.push({
        path: `agents[${ai}].prompt`,
        expected: `a prompt recognised as agent "${agent.id}" (by its recognize phrases)`,
        found: seen ? `one recognised as "${seen.id}"` : "one no agent recognises",
      });
    }
    for (const d of agent.directives) {
      const alone = `You are the ${agent.role}. ${d.triggers[0] ?? ""}.`;
      if (!detectDirectives(agent, alone).has(d.id))
        issues.push({ path: `agents[${ai}].directives`, expected: `directive "${d.id}" recognised in a prompt`, found: "it is not" });
    }
  });
}

export function checkWorld(world: World): Issue[] {
  const issues: Issue[] = [];
  checkTemplates(world, issues);
  checkFeatures(world, issues);
  const graphOk = checkAgents(world, issues);
  try {
    new RegExp(world.metric.extract);
    if (!/\((?!\?)/.test(world.metric.extract))
      issues.push({ path: "metric.extract", expected: "a regular expression with a capturing group", found: `"${world.metric.extract}"` });
  } catch (e) {
    issues.push({
      path: "metric.extract",
      expected: "a valid regular expression",
      found: `"${world.metric.extract}"`,
      hint: (e as Error).message,
    });
  }
  // Recognition checks need a world that compiles; only run them once everything else is sound.
  if (issues.length === 0 && graphOk) checkRecognition(world, issues);
  return issues;
}
