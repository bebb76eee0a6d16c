#!/usr/bin/env node
// The installed `maspo` command: a fixed, committed entry so the bin link exists before the first build.
import { main } from "../dist/main.js";

process.exitCode = await main(process.argv);
