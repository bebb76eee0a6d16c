import { describe, expect, it } from "vitest";
import { canonicalJson } from "@maspo/core";
import { apiSeed, chatCompletionBody, completionCacheKey, type LlmCompletionRequest } from "./completion-request.js";

const req: LlmCompletionRequest = {
  endpointId: "e1",
  role: "serving",
  messages: [
    { role: "system", content: "You are the planner." },
    { role: "user", content: "## Task\nx" },
  ],
  temperature: 0,
  seed: 11,
};

const at = { baseURL: "https://llm.test/v1", model: "m" };

describe("completion cache key", () => {
  it("is the same for the same endpoint, model and request whatever the endpoint id, role or signal", () => {
    const other = { ...req, endpointId: "e2", role: "evaluator" as const, signal: new AbortController().signal };
    expect(completionCacheKey(at, other)).toBe(completionCacheKey(at, req));
  });

  it("differs between two servers of the same model name, and ignores trailing slashes and URL credentials", () => {
    const key = completionCacheKey(at, req);
    expect(completionCacheKey({ ...at, baseURL: "https://other.test/v1" }, req)).not.toBe(key);
    expect(completionCacheKey({ ...at, baseURL: "simlm://math-chain" }, req)).not.toBe(key);
    expect(completionCacheKey({ ...at, baseURL: "https://llm.test/v1/" }, req)).toBe(key);
    expect(completionCacheKey({ ...at, baseURL: "https://user:pass@llm.test/v1" }, req)).toBe(key);
  });

  it("changes with the model, any message, the sampling parameters, the seed and the sample index", () => {
    const base = completionCacheKey(at, req);
    const variants = [
      completionCacheKey({ ...at, model: "m2" }, req),
      completionCacheKey(at, { ...req, messages: [...req.messages, { role: "assistant", content: "" }] }),
      completionCacheKey(at, { ...req, temperature: 0.7 }),
      completionCacheKey(at, { ...req, topP: 0.5 }),
      completionCacheKey(at, { ...req, maxTokens: 10 }),
      completionCacheKey(at, { ...req, json: true }),
      completionCacheKey(at, { ...req, seed: 12 }),
      completionCacheKey(at, { ...req, sampleIndex: 1 }),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it("treats sampleIndex 0 and an absent sampleIndex as the same request", () => {
    expect(completionCacheKey(at, { ...req, sampleIndex: 0 })).toBe(completionCacheKey(at, req));
  });
});

describe("apiSeed", () => {
  it("passes the seed through for sample 0 and derives distinct stable seeds for later samples", () => {
    expect(apiSeed(11, 0)).toBe(11);
    const later = [1, 2, 3].map((i) => apiSeed(11, i));
    expect(new Set([11, ...later]).size).toBe(4);
    expect([1, 2, 3].map((i) => apiSeed(11, i))).toEqual(later);
  });

  it("is what the request body carries", () => {
    expect(chatCompletionBody("m", { ...req, sampleIndex: 2 }).seed).toBe(apiSeed(11, 2));
  });
});

describe("canonicalJson", () => {
  it("ignores key order and undefined members but not array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: undefined } })).toBe('{"a":{"d":[1,2]},"b":1}');
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it("refuses numbers JSON cannot represent instead of collapsing them to null", () => {
    expect(() => canonicalJson({ t: Number.NaN })).toThrow(/\(root\)\.t is NaN/);
  });
});
