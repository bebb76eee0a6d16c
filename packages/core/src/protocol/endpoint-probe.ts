/**
 * Preflight: before a run spends anything, one tiny call to every endpoint it uses, made by the
 * worker roles that will call them (with their own API keys), so a wrong URL, key or model name is
 * refused at the start with its cause instead of surfacing as a bad run. These are the probe tasks'
 * request and answer.
 */
import { z } from "zod";

/** Why an endpoint cannot serve the run, in the terms a user fixes it by. */
export const PROBE_PROBLEMS = ["unreachable", "unauthorized", "unknown-model", "not-openai-compatible", "refused", "unavailable"] as const;
export type ProbeProblem = (typeof PROBE_PROBLEMS)[number];

export const EndpointProbeSchema = z.object({
  endpointId: z.string(),
  model: z.string(),
  /** Where it was called (simlm endpoints: their simlm:// URL); never a key. */
  baseURL: z.string(),
  ok: z.boolean(),
  problem: z.enum(PROBE_PROBLEMS).optional(),
  status: z.int().optional(),
  /** The cause in a sentence, with what to do about it. */
  message: z.string().optional(),
});
export type EndpointProbe = z.infer<typeof EndpointProbeSchema>;

export const ProbeRequestSchema = z.object({
  endpointIds: z.array(z.string()),
  /** Makes every preflight a task of its own: a resumed run probes again instead of reading old answers. */
  nonce: z.string(),
});
export type ProbeRequest = z.infer<typeof ProbeRequestSchema>;

export const ProbeReportSchema = z.array(EndpointProbeSchema);
export type ProbeReport = z.infer<typeof ProbeReportSchema>;
