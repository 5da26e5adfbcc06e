// How MCP tools are offered to the API: one name per tool, `server__tool`, within the API's name rule
// (^[a-zA-Z0-9_-]{1,64}$) and never colliding with another tool, and input schemas reduced to what the
// API accepts. Pure: no `vscode` import.
import { createHash } from 'node:crypto';

/** The API's rule for a client tool's name (the Messages API reference; the SDK types leave it a string). */
export const API_TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_NAME = 64;
const SEPARATOR = '__';
const MAX_DESCRIPTION = 4000;

/** One tool of one server, as the server listed it. */
export interface McpToolInfo {
  name: string;
  title?: string;
  description?: string;
  inputSchema: unknown;
  readOnlyHint?: boolean;
}

/** A tool as the API sees it, and where it goes back to. */
export interface OfferedTool {
  apiName: string;
  server: string;
  tool: string;
  definition: { name: string; description: string; input_schema: Record<string, unknown> & { type: 'object' } };
}

function clean(part: string): string {
  const cleaned = part.replace(/[^a-zA-Z0-9_-]/g, '_');
  return cleaned === '' ? '_' : cleaned;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** `server__tool`, cleaned; cut with a hash of the original names when too long. */
export function baseToolName(server: string, tool: string): string {
  const name = `${clean(server)}${SEPARATOR}${clean(tool)}`;
  return name.length <= MAX_NAME ? name : `${name.slice(0, MAX_NAME - 9)}_${shortHash(`${server}\u0000${tool}`)}`;
}

/**
 * Names for every tool of every server, in order; a name already taken (by Marathon's own tools or an
 * earlier MCP tool) gets a hash of the server and tool names, so the same set always gets the same names.
 */
export function assignToolNames(servers: ReadonlyArray<{ server: string; tools: readonly McpToolInfo[] }>, reserved: Iterable<string>): OfferedTool[] {
  const taken = new Set(reserved);
  const offered: OfferedTool[] = [];
  for (const { server, tools } of servers) {
    for (const tool of tools) {
      let apiName = baseToolName(server, tool.name);
      if (taken.has(apiName)) {
        const suffix = `_${shortHash(`${server}\u0000${tool.name}`)}`;
        apiName = `${apiName.slice(0, MAX_NAME - suffix.length)}${suffix}`;
      }
      for (let n = 2; taken.has(apiName); n++) {
        const suffix = `_${n}`;
        apiName = `${apiName.slice(0, MAX_NAME - suffix.length)}${suffix}`;
      }
      taken.add(apiName);
      const about = tool.description?.trim() || tool.title?.trim() || `Tool ${tool.name} of the MCP server ${server}.`;
      offered.push({
        apiName,
        server,
        tool: tool.name,
        definition: { name: apiName, description: `[MCP server ${server}] ${about}`.slice(0, MAX_DESCRIPTION), input_schema: sanitizeInputSchema(tool.inputSchema) },
      });
    }
  }
  return offered;
}

/** Keys the API's input_schema takes at the top level; composition keywords are refused there. */
const TOP_LEVEL_REFUSED = new Set(['oneOf', 'anyOf', 'allOf', 'not', 'if', 'then', 'else']);

/**
 * The server's JSON Schema as the API accepts it: an object schema at the top (no top-level
 * oneOf/anyOf/allOf), JSON values only. Nested schemas are kept as given; the server validates the input.
 */
export function sanitizeInputSchema(schema: unknown): Record<string, unknown> & { type: 'object' } {
  const source = typeof schema === 'object' && schema !== null && !Array.isArray(schema) ? (JSON.parse(JSON.stringify(schema)) as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (!TOP_LEVEL_REFUSED.has(key) && key !== 'type') {
      out[key] = value;
    }
  }
  const properties = out['properties'];
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
    out['properties'] = {};
  }
  if (out['required'] !== undefined && !(Array.isArray(out['required']) && out['required'].every((item) => typeof item === 'string'))) {
    delete out['required'];
  }
  return { type: 'object', ...out };
}
