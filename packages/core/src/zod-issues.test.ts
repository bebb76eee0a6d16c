import { describe, expect, it } from "vitest";
import { z } from "zod";
import { issuesFromZod } from "./zod-issues.js";

const Message = z.strictObject({
  runId: z.string().min(1),
  attempts: z.int().min(1),
  model: z.strictObject({ name: z.string(), token: z.string().min(40) }),
});

describe("issuesFromZod (every boundary that is not a spec file)", () => {
  it("names every problem at once, with what was found read from the input itself", () => {
    const input = { runId: "", attempts: 0, model: { name: 7, token: "x" }, extra: true };
    const parsed = Message.safeParse(input);
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    const issues = issuesFromZod(parsed.error, input);
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: "runId", expected: "a non-empty string", found: "an empty string" },
        { path: "attempts", expected: "a number ≥ 1", found: "0" },
        { path: "model.name", expected: "a string", found: "7" },
        { path: "extra", expected: "no such key", found: 'unknown key "extra"' },
      ]),
    );
    expect(issues).toHaveLength(5);
  });

  it("never echoes a value under a secret-looking key, and says a missing field is missing", () => {
    const input = { runId: "r", attempts: 1, model: { token: "sk-live-0123456789" } };
    const parsed = Message.safeParse(input);
    if (parsed.success) throw new Error("expected a failed parse");
    const issues = issuesFromZod(parsed.error, input);
    expect(JSON.stringify(issues)).not.toContain("sk-live");
    expect(issues).toContainEqual({
      path: "model.token",
      expected: "a string of at least 40 characters",
      found: "a value (not shown: it may be a secret)",
    });
    expect(issues).toContainEqual({ path: "model.name", expected: "a string (required)", found: "nothing (the field is missing)" });
  });

  it("says what an unknown key should be when the caller knows", () => {
    const parsed = z.strictObject({}).safeParse({ agnets: [] });
    if (parsed.success) throw new Error("expected a failed parse");
    expect(issuesFromZod(parsed.error, { agnets: [] }, "no such field (see the world format)")[0]?.expected).toBe(
      "no such field (see the world format)",
    );
  });
});
