/**
 * The preflight task adapter: a probe request of the worker protocol answered by the worker's own
 * LLM client (so with that process's API keys), one probe per endpoint, all at once. Registered with
 * the task handler for the three probe kinds (@maspo/cluster).
 */
import type { EndpointProbe, ProbeReport, ProbeRequest, TaskAdapter } from "@maspo/core";

export const probeTask: TaskAdapter<ProbeRequest, ProbeReport> = (ctx, req) =>
  Promise.all(
    req.endpointIds.map((id): Promise<EndpointProbe> =>
      // A caller that is not an endpoint client (a test's scripted model) has nothing to probe.
      ctx.llm.probe ? ctx.llm.probe(id) : Promise.resolve({ endpointId: id, model: "", baseURL: "", ok: true, message: "not probed" }),
    ),
  );
