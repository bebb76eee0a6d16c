/**
 * Trace-guided mutation: one operator applied to one parent prompt, `children` times. Each child is
 * one optimizer call (its own sample index) on the same meta-prompt; an unreadable answer, or a
 * prompt over the length budget the meta-prompt states, is asked again under a fresh sample index,
 * then dropped and counted (malformed, or `dropped.overBudget`). An over-long prompt is never cut
 * to fit: its end (often the output format) would be lost, and the result would be a prompt nobody
 * proposed. Proposals that are empty or repeat an existing prompt are dropped; every kept one
 * carries its lineage (parent, operator, the traces and hard negatives it was shown). Results are
 * folded in child order, whatever order calls finish in.
 */
import {
  type CallTally,
  type Issue,
  type LlmCaller,
  MUTATION_OPERATORS,
  MisalignmentCaseSchema,
  TaskDescriptionSchema,
  ValidationError,
  addTallies,
  excerpt,
  issuesFromZod,
  promptVersion,
  tallyOf,
} from "@maspo/core";
import { TraceSchema } from "@maspo/core";
import { z } from "zod";
import { buildMetaPrompt, promptBudgetOf } from "./meta-prompt.js";
import { type ParsedProposal, dedupeProposals, parseProposal } from "./proposals.js";

export const MutationRequestSchema = z.object({
  agentId: z.string().min(1),
  role: z.string().min(1),
  /** The parent prompt text. */
  parent: z.string().min(1),
  operator: z.enum(MUTATION_OPERATORS),
  /** Real traces that include this agent's step: the optimizer's evidence. */
  traces: z.array(TraceSchema),
  /** This agent's cases from the misalignment buffer, strongest first. */
  hardNegatives: z.array(MisalignmentCaseSchema),
  optimizerModel: z.string().min(1),
  temperature: z.number().min(0).max(2),
  seed: z.number().int(),
  children: z.number().int().min(1),
  /** Prompts the agent's beam (and history) already holds; proposals equal to one are dropped. */
  existingPrompts: z.array(z.string()),
  /** Benchmarking ablation: show the optimizer no traces and no hard negatives. */
  noTraces: z.boolean().optional(),
  /** Total attempts per child when the answer is malformed (first ask included). Default 2. */
  maxAttempts: z.number().int().min(1).optional(),
  limits: z
    .object({
      maxTraces: z.number().int().min(0),
      maxHardNegatives: z.number().int().min(0),
      excerptChars: z.number().int().min(20),
      successorPromptChars: z.number().int().min(20),
    })
    .partial()
    .optional(),
  /** A final score at or above it is a correct final answer. Default 1. */
  passScore: z.number().optional(),
  /** The run's task description, shown to the optimizer. */
  task: TaskDescriptionSchema.optional(),
  /** The agent's one-hop successors, each with its role and current prompt (when a trace shows it). */
  successors: z.array(z.object({ agentId: z.string().min(1), role: z.string().min(1), prompt: z.string().optional() })).optional(),
  /** The agent's output is the system's final answer. */
  isFinal: z.boolean().optional(),
  /** The longest new prompt accepted, in characters. Default: 4000, or the parent's length when longer. */
  promptBudgetChars: z.number().int().min(1).optional(),
});
export type MutationRequest = z.infer<typeof MutationRequestSchema>;

export const ProposalLineageSchema = z.object({
  parentPromptVersion: z.string(),
  operator: z.enum(MUTATION_OPERATORS),
  /** Example ids of the traces the optimizer was shown. */
  traceIds: z.array(z.string()),
  /** Misalignment case ids the optimizer was shown. */
  hardNegativeIds: z.array(z.string()),
  /** True when made under the no-traces ablation (benchmarking only). */
  noTraces: z.boolean(),
  sampleIndex: z.number().int(),
});
export type ProposalLineage = z.infer<typeof ProposalLineageSchema>;

export const ProposedPromptSchema = z.object({
  prompt: z.string(),
  promptVersion: z.string(),
  analysis: z.string(),
  modification: z.string(),
  lineage: ProposalLineageSchema,
});
export type ProposedPrompt = z.infer<typeof ProposedPromptSchema>;

export interface MutationResult {
  proposals: ProposedPrompt[];
  /** Children whose every answer was unreadable (dropped). */
  malformed: number;
  malformedReports: ChildProblems[];
  /** Children dropped: an empty prompt, a repeat, or every readable answer over the length budget. */
  dropped: { empty: number; duplicate: number; overBudget: number };
  /** The over-budget children's answers: the prompt length against the budget. */
  overBudgetReports: ChildProblems[];
  /** The length budget the meta-prompt stated, in characters. */
  promptBudgetChars: number;
  calls: CallTally;
  /** The no-traces ablation was on: these proposals are not trace-guided. */
  noTraces: boolean;
}

/** What went wrong with each answer of one child, in attempt order. */
export interface ChildProblems {
  child: number;
  problems: { sampleIndex: number; problem: string; answer: string }[];
}

export const DEFAULT_MUTATION_ATTEMPTS = 2;

export interface MutateInput extends MutationRequest {
  llm: LlmCaller;
}

export function validateMutationRequest(input: unknown): MutationRequest {
  const parsed = MutationRequestSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError("mutation request", issuesFromZod(parsed.error, input));
  const req = parsed.data;
  const issues: Issue[] = [];
  if (!req.noTraces) {
    if (req.traces.length === 0) {
      issues.push({
        path: "traces",
        expected: "at least one trace of the agent (mutation is trace-guided)",
        found: "none",
        hint: "noTraces exists only as a labelled benchmarking ablation",
      });
    }
    req.traces.forEach((t, i) => {
      if (!t.steps[req.agentId]) issues.push({ path: `traces[${i}].steps.${req.agentId}`, expected: "the agent's step", found: "nothing" });
    });
    req.hardNegatives.forEach((c, i) => {
      if (c.agentId !== req.agentId) {
        issues.push({ path: `hardNegatives[${i}].agentId`, expected: JSON.stringify(req.agentId), found: JSON.stringify(c.agentId) });
      }
    });
  }
  if (issues.length > 0) throw new ValidationError("mutation request", issues);
  return req;
}

export async function mutate(input: MutateInput): Promise<MutationResult> {
  const { llm, ...data } = input;
  const req = validateMutationRequest(data);
  const meta = buildMetaPrompt({
    agentId: req.agentId,
    role: req.role,
    parent: req.parent,
    operator: req.operator,
    traces: req.traces,
    hardNegatives: req.hardNegatives,
    noTraces: req.noTraces ?? false,
    ...(req.limits ? { limits: req.limits } : {}),
    ...(req.passScore !== undefined ? { passScore: req.passScore } : {}),
    ...(req.task ? { task: req.task } : {}),
    ...(req.successors ? { successors: req.successors } : {}),
    ...(req.isFinal !== undefined ? { isFinal: req.isFinal } : {}),
    promptBudgetChars: promptBudgetOf(req.parent, req.promptBudgetChars),
  });
  const budget = meta.promptBudgetChars;
  const maxAttempts = req.maxAttempts ?? DEFAULT_MUTATION_ATTEMPTS;

  const askChild = async (child: number) => {
    const tallies: CallTally[] = [];
    const problems: ChildProblems["problems"] = [];
    let overBudget = false;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      // Distinct across children and attempts: a retry must not be a cache hit of the same answer.
      const sampleIndex = child + attempt * req.children;
      const result = await llm.complete({
        endpointId: req.optimizerModel,
        role: "optimizer",
        messages: meta.messages,
        temperature: req.temperature,
        seed: req.seed,
        sampleIndex,
        json: true,
      });
      tallies.push(tallyOf(result));
      const parsed = parseProposal(result.content);
      if (parsed.ok && parsed.proposal.prompt.length <= budget) {
        return { child, sampleIndex, proposal: parsed.proposal, overBudget: false, problems, tally: addTallies(...tallies) };
      }
      if (parsed.ok) overBudget = true;
      const problem = parsed.ok
        ? `the proposed prompt has ${parsed.proposal.prompt.length} characters, over the budget of ${budget}`
        : parsed.problem;
      problems.push({ sampleIndex, problem, answer: excerpt(result.content, 200) });
    }
    return {
      child,
      sampleIndex: -1,
      proposal: undefined as ParsedProposal | undefined,
      overBudget,
      problems,
      tally: addTallies(...tallies),
    };
  };
  const answers = await Promise.all(Array.from({ length: req.children }, (_, child) => askChild(child)));

  const parentPromptVersion = promptVersion(req.parent);
  const candidates = answers.flatMap((a): ProposedPrompt[] =>
    a.proposal
      ? [
          {
            prompt: a.proposal.prompt,
            promptVersion: promptVersion(a.proposal.prompt),
            analysis: a.proposal.analysis,
            modification: a.proposal.modification,
            lineage: {
              parentPromptVersion,
              operator: req.operator,
              traceIds: meta.traceIds,
              hardNegativeIds: meta.hardNegativeIds,
              noTraces: meta.noTraces,
              sampleIndex: a.sampleIndex,
            },
          },
        ]
      : [],
  );
  const deduped = dedupeProposals(candidates, [req.parent, ...req.existingPrompts]);
  // A child with a readable answer over the budget is dropped for its length, not counted as malformed.
  const malformed = answers.filter((a) => !a.proposal && !a.overBudget);
  const overBudget = answers.filter((a) => !a.proposal && a.overBudget);
  return {
    proposals: deduped.kept,
    malformed: malformed.length,
    malformedReports: malformed.map((a) => ({ child: a.child, problems: a.problems })),
    dropped: { empty: deduped.empty, duplicate: deduped.duplicates, overBudget: overBudget.length },
    overBudgetReports: overBudget.map((a) => ({ child: a.child, problems: a.problems })),
    promptBudgetChars: budget,
    calls: addTallies(...answers.map((a) => a.tally)),
    noTraces: meta.noTraces,
  };
}
