/**
 * Reading the optimizer's answer: the proposed prompt (with its analysis and modification), tolerant
 * of code fences, surrounding prose, key variants and an echoed `<<< >>>` wrapper; and de-duplicating
 * proposals against each other and against prompts that already exist, compared normalised
 * (whitespace and case), so the beam never spends an evaluation on a prompt it already holds.
 */
import { fieldOf, jsonValuesIn, normalizePrompt } from "@maspo/core";

export interface ParsedProposal {
  prompt: string;
  analysis: string;
  modification: string;
}

export type ProposalParse = { ok: true; proposal: ParsedProposal } | { ok: false; problem: string };

const PROMPT_KEYS = ["prompt", "new_prompt", "newPrompt", "revised_prompt", "improved_prompt", "updated_prompt", "new prompt"];

/** The first proposal in an optimizer answer. An empty prompt parses (the caller drops it as empty). */
export function parseProposal(text: string): ProposalParse {
  const values = jsonValuesIn(text);
  const objects = values.flatMap((v): Record<string, unknown>[] => {
    if (Array.isArray(v)) return v.filter(isRecord);
    if (!isRecord(v)) return [];
    const nested = fieldOf(v, "proposals", "candidates", "prompts");
    return Array.isArray(nested) ? [v, ...nested.filter(isRecord)] : [v];
  });
  for (const obj of objects) {
    const prompt = fieldOf(obj, ...PROMPT_KEYS);
    if (typeof prompt !== "string") continue;
    const analysis = fieldOf(obj, "analysis", "reasoning", "diagnosis");
    const modification = fieldOf(obj, "modification", "change", "changes", "edit");
    return {
      ok: true,
      proposal: {
        prompt: unwrapPrompt(prompt),
        analysis: typeof analysis === "string" ? analysis.trim() : "",
        modification: typeof modification === "string" ? modification.trim() : "",
      },
    };
  }
  return { ok: false, problem: values.length > 0 ? 'JSON found but no "prompt" string in it' : "no JSON proposal found" };
}

/** Strips an echoed `<<< >>>` wrapper or a code fence around the whole prompt. */
function unwrapPrompt(prompt: string): string {
  let p = prompt.trim();
  const wrapped = /^<<<\s*\n?([\s\S]*?)\n?\s*>>>$/.exec(p);
  if (wrapped) p = (wrapped[1] ?? "").trim();
  const fenced = /^```[^\n]*\n([\s\S]*?)\n```$/.exec(p);
  if (fenced) p = (fenced[1] ?? "").trim();
  return p;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export interface Deduplicated<T> {
  kept: T[];
  empty: number;
  duplicates: number;
}

/** Drops empty prompts, prompts already in `existing`, and repeats within `items` (the first is kept). */
export function dedupeProposals<T extends { prompt: string }>(items: readonly T[], existing: readonly string[]): Deduplicated<T> {
  const seen = new Set(existing.map(normalizePrompt));
  const kept: T[] = [];
  let empty = 0;
  let duplicates = 0;
  for (const item of items) {
    const key = normalizePrompt(item.prompt);
    if (key.length === 0) empty++;
    else if (seen.has(key)) duplicates++;
    else {
      seen.add(key);
      kept.push(item);
    }
  }
  return { kept, empty, duplicates };
}
