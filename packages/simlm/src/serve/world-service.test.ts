import { ValidationError } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { loadWorld } from "../world/world-load.js";
import type { World } from "../world/world-schema.js";
import { NO_REALISM } from "./service-realism.js";
import { createWorldService, worldBackend, worldRealism } from "./world-service.js";

const world = loadWorld("math-chain");

describe("a world as a served backend", () => {
  it("lists the world's name as its model and validates bodies with the chat request schema, naming each bad field", () => {
    const backend = worldBackend(world);
    expect(backend.modelIds).toEqual([world.name]);
    const bad = backend.prepare({ model: "", messages: "hello", temperature: -1 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues.map((i) => i.path).sort()).toEqual(["messages", "model", "temperature"]);
  });

  it("takes realism from the world's service block when it has one, and none otherwise", () => {
    expect(worldRealism(world)).toEqual(NO_REALISM);
    const withService = { ...world, service: { maxConcurrency: 2, faults: { rate500: 0.1 } } } as World;
    expect(worldRealism(withService)).toMatchObject({ maxConcurrency: 2, faults: { rate500: 0.1 } });
    const broken = { ...world, service: { faults: { rate500: "often" } } } as unknown as World;
    expect(() => worldRealism(broken)).toThrow(ValidationError);
    expect(() => worldRealism(broken)).toThrow(/world math-chain: service[\s\S]*faults\.rate500/);
  });

  it("lets explicit realism replace the world's block", () => {
    const withService = { ...world, service: { maxConcurrency: 2 } } as World;
    expect(createWorldService({ world: withService }).realism.maxConcurrency).toBe(2);
    expect(createWorldService({ world: withService, realism: {} }).realism.maxConcurrency).toBeUndefined();
  });
});
