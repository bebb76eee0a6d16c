/** Test fixture: a beam member whose prompt and version are the given text, neutral lenses, no lineage. */
import type { BeamMember } from "./beam.js";

export const member = (prompt: string): BeamMember => ({
  version: prompt,
  prompt,
  J: 0,
  lenses: { local: 0.5, lookahead: 0.5, global: 0.5 },
  finalMetric: null,
  lineage: { parent: null, operator: null, traceIds: [], hardNegativeIds: [] },
  scoredIn: "",
  bornRound: 0,
});
