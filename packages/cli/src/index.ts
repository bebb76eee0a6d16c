/** @maspo/cli: the `maspo` command, also callable in process (tests, embedding). */
export { main } from "./main.js";
