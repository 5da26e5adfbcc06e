// Preloaded (`node --import`) when the MCP conformance runner starts: version 0.1.16 imports `globSync`
// from `fs`, which Node 22 has and Node 20 (the version VS Code 1.100's extension host runs) lacks. It is
// used only by the runner's `tier-check` command, so a stub that says so is enough for `client` runs.
import { register } from 'node:module';

register('./fsGlobHook.mjs', import.meta.url);
