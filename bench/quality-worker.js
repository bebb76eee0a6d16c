/** A worker thread of the quality benchmark: takes { index, task }, runs it, answers { index, row } or { index, error }. */
import { parentPort } from "node:worker_threads";
import { runTask } from "./quality.js";

parentPort.on("message", ({ index, task }) => {
  runTask(task).then(
    (row) => parentPort.postMessage({ index, row }),
    (error) => parentPort.postMessage({ index, error: String(error?.stack ?? error) }),
  );
});
