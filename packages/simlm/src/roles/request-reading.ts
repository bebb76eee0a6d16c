/**
 * What simlm read in a request, said out loud: which role answers it and, for an agent call, the
 * agent, the task, the predecessors' outputs (by their features) and the directives it found; for a
 * judge call, the lens, the task and both responses' features; for an optimizer call, the agent, the
 * current prompt's directives and the failures the traces and hard negatives show. It is
 * what `maspo sim serve --log-requests` writes beside each request, so a framework's layout that
 * simlm misreads shows up in the log rather than as a mysteriously weak agent. It decides the role
 * the way simulateChat answers (judge, optimizer, agent, generic assistant) and changes nothing.
 */
import { requestContext } from "./chat-context.js";
import { readJudgeRequest } from "./judge-role.js";
import { readOptimizerRequest } from "./optimizer-role.js";
import { readAgentRequest } from "../reading/agent-request.js";
import type { ChatRequest } from "../reading/chat-request.js";
import { readOutput } from "../reading/output-reading.js";
import { detectDirectives } from "../reading/prompt-reading.js";
import { compileWorld } from "../world/compiled-world.js";
import { recogniseProblem } from "../world/problem.js";
import type { JudgeLens, World } from "../world/world-schema.js";

export interface AgentCallReading {
  /** The world agent recognised from the instruction. */
  agent: string;
  layout: "sections" | "fields" | "plain";
  task: string;
  /** The task is one of the world's problems (else the agent answers like a generic assistant). */
  problemKnown: boolean;
  /** Each predecessor part by its label, with the world features read in it. */
  upstream: Array<{ label: string; features: string[] }>;
  directives: string[];
  demos: number;
  /** Present when a framework's boilerplate was set aside: the instruction read in its place. */
  instruction?: string;
}

export interface JudgeCallReading {
  lens: JudgeLens;
  task?: string;
  problemKnown: boolean;
  /** The world features read in each response. */
  responses: { A: string[]; B: string[] };
}

export interface OptimizerCallReading {
  /** The world agent whose prompt is improved, when recognised. */
  agent?: string;
  /** The agent the request's agent section names, when it names one. */
  named?: string;
  /** The directives found in the current prompt (of the recognised agent). */
  directives: string[];
  /** Trace and hard-negative records read, and how many of them failed. */
  records: number;
  failing: number;
  /** The failure signatures the failing records show, with how many show each, in order of first showing. */
  shown: Array<{ failure: string; count: number }>;
}

export interface RequestReading {
  role: "judge" | "optimizer" | "agent" | "generic";
  agent?: AgentCallReading;
  judge?: JudgeCallReading;
  optimizer?: OptimizerCallReading;
}

export function readChatRequest(world: World, request: ChatRequest): RequestReading {
  const cw = compileWorld(world);
  const ctx = requestContext(cw, request, 0);
  const judge = readJudgeRequest(ctx);
  if (judge) {
    const problem = judge.task !== undefined ? recogniseProblem(cw.templates, judge.task) : undefined;
    const features = (body: string) => [...readOutput(cw, body, problem).features].sort();
    return {
      role: "judge",
      judge: {
        lens: judge.lens,
        ...(judge.task !== undefined ? { task: judge.task } : {}),
        problemKnown: problem !== undefined,
        responses: { A: features(judge.responseA), B: features(judge.responseB) },
      },
    };
  }
  const optimizer = readOptimizerRequest(ctx);
  if (optimizer) {
    return {
      role: "optimizer",
      optimizer: {
        ...(optimizer.agent ? { agent: optimizer.agent.id } : {}),
        ...(optimizer.named ? { named: optimizer.named.id } : {}),
        directives: optimizer.agent ? [...detectDirectives(optimizer.agent, optimizer.current)].sort() : [],
        records: optimizer.records.length,
        failing: optimizer.records.filter((r) => r.failing).length,
        shown: [...optimizer.shown.entries()].map(([f, count]) => ({ failure: f.id, count })),
      },
    };
  }
  const reading = readAgentRequest(cw, ctx.system, ctx.turns);
  if (!reading.agent) return { role: "generic" };
  const problem = recogniseProblem(cw.templates, reading.task);
  return {
    role: "agent",
    agent: {
      agent: reading.agent.id,
      layout: reading.layout,
      task: reading.task,
      problemKnown: problem !== undefined,
      upstream: reading.upstream.map((s) => ({ label: s.heading, features: [...readOutput(cw, s.body, problem).features] })),
      directives: [...detectDirectives(reading.agent, reading.instruction)].sort(),
      demos: reading.demos,
      ...(reading.boilerplate ? { instruction: reading.instruction } : {}),
    },
  };
}
