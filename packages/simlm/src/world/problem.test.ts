import { Rng } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { compileWorld } from "./compiled-world.js";
import { corruptProblem, generateProblem, recogniseProblem, renderFacts } from "./problem.js";
import { bundledWorldNames, loadWorld } from "./world-load.js";

describe.each(bundledWorldNames())("problems of %s", (name) => {
  const cw = compileWorld(loadWorld(name));

  it("are read back from their task text alone, with the same answer", () => {
    const rng = new Rng(1);
    for (let i = 0; i < 200; i++) {
      const template = cw.templates[i % cw.templates.length];
      if (!template) throw new Error("no template");
      const { problem, text } = generateProblem(template, rng);
      const read = recogniseProblem(cw.templates, `  ${text.replace(/ /g, "  ")}\n`);
      expect(read?.template.template.id).toBe(template.template.id);
      expect(read?.answer).toBe(problem.answer);
    }
  });

  it("corrupt to a different answer and different numeric facts", () => {
    const rng = new Rng(2);
    for (let i = 0; i < 100; i++) {
      const template = cw.templates[i % cw.templates.length];
      if (!template) throw new Error("no template");
      const { problem } = generateProblem(template, rng);
      const wrong = corruptProblem(problem, rng);
      expect(wrong.value).not.toBe(problem.answer);
      const truth = renderFacts(template, problem.vars);
      for (const [k, v] of wrong.facts) expect(v).not.toBe(truth.get(k));
    }
  });
});
