import { describe, expect, it } from "vitest";
import { renderUpstream, splitAgentContext } from "./agent-context.js";
import { buildAgentUserMessage } from "./agent-messages.js";

describe("splitAgentContext", () => {
  it("reads back the task and every predecessor output that buildAgentUserMessage wrote, in order", () => {
    const upstream = [
      { agentId: "planner", output: "1. add\n2. multiply" },
      { agentId: "analyst_b", output: "## Notes\nthe output's own heading stays in its body" },
    ];
    const parts = splitAgentContext(buildAgentUserMessage("Mia has 3 bags of 4 marbles.", upstream));
    expect(parts.task).toBe("Mia has 3 bags of 4 marbles.");
    expect(parts.upstream).toEqual(upstream);
  });

  it("gives a source agent's context as the task alone", () => {
    expect(splitAgentContext(buildAgentUserMessage("  What is 2 + 2?  ", []))).toEqual({ task: "What is 2 + 2?", upstream: [] });
  });

  it("renders predecessor outputs in the same layout it reads", () => {
    const upstream = [{ agentId: "solver", output: "Result: 12" }];
    expect(splitAgentContext(`## Task\nq\n\n${renderUpstream(upstream)}`).upstream).toEqual(upstream);
  });
});
