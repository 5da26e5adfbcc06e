// Loads the MCP bundle once, on first use. esbuild keeps `./runtime` out of the extension bundle and
// emits it as dist/mcp.js, so activation parses neither the MCP SDK nor its schemas.
export type McpRuntime = typeof import('./runtime');

let runtime: Promise<McpRuntime> | undefined;

export function loadMcpRuntime(): Promise<McpRuntime> {
  runtime ??= import('./runtime');
  return runtime;
}
