/**
 * The adapters a maspo process registers with its task handler: each task kind answered by the pure
 * function of the package that owns it. Embedded and cluster runs register exactly these.
 */
import type { TaskAdapters } from "@maspo/cluster";
import { compareFinalsTask, evaluateShardTask, evaluateTask } from "@maspo/evaluator";
import { runGraphTask } from "@maspo/executor";
import { probeTask } from "@maspo/llm";
import { mutateTask } from "@maspo/mutator";

export const TASK_ADAPTERS: TaskAdapters = {
  runGraph: runGraphTask,
  evaluate: evaluateTask,
  evaluateShard: evaluateShardTask,
  mutate: mutateTask,
  compareFinals: compareFinalsTask,
  probe: probeTask,
};
