// The `marathon.mcp.*` settings, checked once here. The server list and the always-allow list are read
// from the user's settings only: a workspace must not add servers or approve its own tools that way.
import * as vscode from 'vscode';

export interface McpSettings {
  /** `marathon.mcp.servers` (user settings), in `.vscode/mcp.json`'s shape. */
  servers: unknown;
  /** Tools that run without asking: `server/tool`, or `server/*` for every tool of a server. */
  alwaysAllow: string[];
  callTimeoutSeconds: number;
  maxResultBytes: number;
}

export const DEFAULT_CALL_TIMEOUT_SECONDS = 60;
export const DEFAULT_MAX_RESULT_BYTES = 64 * 1024;

export function readMcpSettings(): McpSettings {
  const config = vscode.workspace.getConfiguration('marathon');
  const integer = (key: string, fallback: number, min: number, max: number): number => {
    const value = config.get<number>(key, fallback);
    return Number.isInteger(value) && value >= min && value <= max ? value : fallback;
  };
  const servers = config.inspect<unknown>('mcp.servers');
  const allow = config.inspect<unknown>('mcp.alwaysAllow')?.globalValue;
  return {
    servers: servers?.globalValue ?? { servers: {} },
    alwaysAllow: Array.isArray(allow) ? allow.filter((item): item is string => typeof item === 'string') : [],
    callTimeoutSeconds: integer('mcp.callTimeoutSeconds', DEFAULT_CALL_TIMEOUT_SECONDS, 1, 3600),
    maxResultBytes: integer('mcp.maxResultBytes', DEFAULT_MAX_RESULT_BYTES, 1024, 4 * 1024 * 1024),
  };
}

/** Adds `entry` to the user's `marathon.mcp.alwaysAllow`. */
export async function addAlwaysAllow(entry: string): Promise<void> {
  const current = readMcpSettings().alwaysAllow;
  if (!current.includes(entry)) {
    await vscode.workspace.getConfiguration('marathon').update('mcp.alwaysAllow', [...current, entry], vscode.ConfigurationTarget.Global);
  }
}
