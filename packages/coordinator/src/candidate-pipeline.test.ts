import type { EvaluateRequest, Evaluation, Proposal } from "@maspo/core";
import { describe, expect, it } from "vitest";
import type { BeamMember } from "./beam.js";
import { member } from "./beam-member.fixture.js";
import { dedupe } from "./candidate-dedupe.js";
import { evaluateAsProposed } from "./candidate-pipeline.js";
import type { LoopContext } from "./loop-context.js";

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const proposal = (prompt: string): Proposal => ({ prompt, operator: "rephrase", traceIds: [], hardNegativeIds: [] });
const evaluation = (R: number): Evaluation => ({
  R,
  lenses: { local: R, lookahead: R, global: R },
  finalMetric: null,
  cases: [],
  malformedVerdicts: 0,
});

/** A loop context whose only worker is `evaluate`, recording each request's candidate. */
function contextWith(evaluate: (req: EvaluateRequest) => Promise<Evaluation>): LoopContext {
  return {
    config: { ablations: { independent: false } },
    state: { prompts: { a: "root", b: "next" } },
    weights: { local: 0.4, lookahead: 0.3, global: 0.3 },
    useLookahead: true,
    workers: { evaluate },
  } as unknown as LoopContext;
}

describe("evaluateAsProposed", () => {
  it("sends a child to joint evaluation while a later mutation job is still proposing", async () => {
    const asked: string[] = [];
    const ctx = contextWith((req) => {
      asked.push(req.candidate);
      return Promise.resolve(evaluation(0.6));
    });
    const late = deferred<Proposal[]>();
    const run = evaluateAsProposed(
      ctx,
      "a",
      [
        { parent: member("root"), proposals: Promise.resolve([proposal("first")]) },
        { parent: member("root"), proposals: late.promise },
      ],
      ["root"],
      [],
      [],
    );
    await new Promise((r) => setImmediate(r));
    expect(asked).toEqual(["first"]);
    late.resolve([proposal("second")]);
    const { candidates, evaluations } = await run;
    expect(candidates.map((c) => c.proposal.prompt)).toEqual(["first", "second"]);
    expect(evaluations).toHaveLength(2);
  });

  it("keeps exactly the candidates, order and parents of de-duplicating the whole batch first, whatever order the jobs answer in", async () => {
    const batches = [
      ["Solve it", "check units"],
      ["solve  IT", "root"],
      ["Check Units", "new idea", ""],
    ];
    const parents = [member("root"), member("p1"), member("p2")];
    const gates = batches.map(() => deferred<Proposal[]>());
    const ctx = contextWith((req) => Promise.resolve(evaluation(req.candidate.length / 100)));
    const run = evaluateAsProposed(
      ctx,
      "a",
      gates.map((g, i) => ({ parent: parents[i] as BeamMember, proposals: g.promise })),
      ["root"],
      [],
      [],
    );
    // Answer last job first: the pipeline still folds in job order.
    [2, 0, 1].forEach((i) => gates[i]?.resolve((batches[i] as string[]).map(proposal)));
    const { candidates, evaluations } = await run;
    const expected = dedupe(
      batches.flatMap((b, i) => b.map((p) => ({ parent: (parents[i] as BeamMember).prompt, prompt: p }))),
      ["root"],
      (c) => c.prompt,
    );
    expect(candidates.map((c) => ({ parent: c.parent.prompt, prompt: c.proposal.prompt }))).toEqual(expected);
    expect(evaluations.map((e) => e.R)).toEqual(expected.map((c) => c.prompt.length / 100));
  });

  it("fails the step with a later job's error even while an earlier one is awaited", async () => {
    const early = deferred<Proposal[]>();
    const ctx = contextWith(() => Promise.resolve(evaluation(0.5)));
    const run = evaluateAsProposed(
      ctx,
      "a",
      [
        { parent: member("root"), proposals: early.promise },
        { parent: member("root"), proposals: Promise.reject(new Error("mutator gone")) },
      ],
      [],
      [],
      [],
    );
    await new Promise((r) => setImmediate(r));
    early.resolve([proposal("x")]);
    await expect(run).rejects.toThrow("mutator gone");
  });
});
