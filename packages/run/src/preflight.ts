/**
 * Preflight: before anything is spent, every endpoint the run uses answers one tiny call — made by
 * the role that will call it (executors: serving models; evaluators: judges and serving models, which
 * they re-run; mutators: the optimizer), through the same task path as the run itself, so embedded and
 * cluster runs check alike and a cluster checks with its workers' keys. An endpoint that cannot serve
 * refuses the run with every cause at once (exit 2), naming each endpoint's id, model and URL.
 */
import { randomUUID } from "node:crypto";
import type { QueueWorkers } from "@maspo/cluster";
import { type EndpointProbe, MaspoError, type ProbeKind, type RunSpec, evaluationModelsOf, servingModelOf } from "@maspo/core";

export class PreflightError extends MaspoError<"E_PREFLIGHT"> {
  readonly failures: readonly EndpointProbe[];

  constructor(failures: readonly EndpointProbe[]) {
    const lines = failures.map(
      (f) => `  - endpoint '${f.endpointId}' (model ${f.model} at ${f.baseURL}): ${f.problem ?? "failed"}: ${f.message ?? ""}`,
    );
    super(
      "E_PREFLIGHT",
      `preflight: ${failures.length} endpoint${failures.length === 1 ? "" : "s"} cannot serve this run; nothing was started:\n${lines.join("\n")}`,
    );
    this.failures = failures;
  }
}

/** Which endpoints each role calls in this run. */
export function endpointsByRole(spec: RunSpec): Record<ProbeKind, string[]> {
  const serving = [...new Set(spec.graph.agents.map((a) => servingModelOf(spec, a.id)))].sort();
  const judges = [...new Set([...Object.values(evaluationModelsOf(spec)), ...serving])].sort();
  return { probeServing: serving, probeJudges: judges, probeOptimizer: [spec.optimizer.model] };
}

/** Probes every endpoint from every role that uses it; resolves with the probes, or throws PreflightError. */
export async function preflight(workers: QueueWorkers, spec: RunSpec): Promise<EndpointProbe[]> {
  const nonce = randomUUID();
  const reports = await Promise.all(
    Object.entries(endpointsByRole(spec)).map(([kind, endpointIds]) => workers.probe(kind as ProbeKind, { endpointIds, nonce })),
  );
  const probes = reports.flat();
  // One line per endpoint that failed, however many roles saw it fail (the first role's words).
  const failures = [...new Map(probes.filter((p) => !p.ok).map((p) => [p.endpointId, p])).values()];
  if (failures.length > 0) throw new PreflightError(failures);
  return probes;
}
