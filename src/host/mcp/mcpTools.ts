// MCP tools in Agent mode: the names and definitions offered next to Marathon's own tools, who may run
// without asking (the user allowed the tool or the server for this conversation, or always), and one
// call: sent to its server with a timeout, answered with what the model reads, never thrown.
import type { ExternalToolDefinition, Logger, ToolCall, ToolOutcome } from '../../core/ports';
import { TOOL_NAMES } from '../../core/agentTools';
import type { McpServerManager } from './manager';
import { convertCallResult } from './results';
import { addAlwaysAllow, readMcpSettings } from './settings';
import { assignToolNames, type OfferedTool } from './toolNames';
import { describeError } from '../../core/errorText';

/** How far an approval reaches: this call, the tool or the server in this conversation, or the tool always. */
export type McpApprovalScope = 'once' | 'toolConversation' | 'serverConversation' | 'toolAlways';

export class McpTools {
  private offeredCache: { key: string; tools: OfferedTool[] } | undefined;
  /** conversationId → allowed `server/tool` and `server/*` entries, until the window reloads. */
  private readonly allowed = new Map<string, Set<string>>();

  constructor(
    private readonly manager: McpServerManager,
    private readonly logger: Logger,
  ) {}

  /** The tools of the running servers with their API names; the same set keeps the same names. */
  offered(): OfferedTool[] {
    const running = this.manager.runningTools();
    const key = JSON.stringify(running.map(({ server, tools }) => [server, tools.map((tool) => [tool.name, tool.description, tool.inputSchema])]));
    if (this.offeredCache?.key !== key) {
      this.offeredCache = { key, tools: assignToolNames(running, TOOL_NAMES) };
    }
    return this.offeredCache.tools;
  }

  definitions(): ExternalToolDefinition[] {
    return this.offered().map((tool) => tool.definition);
  }

  find(apiName: string): OfferedTool | undefined {
    return this.offered().find((tool) => tool.apiName === apiName);
  }

  isAllowed(conversationId: string, tool: OfferedTool): boolean {
    const entries = [`${tool.server}/${tool.tool}`, `${tool.server}/*`];
    const session = this.allowed.get(conversationId);
    const always = readMcpSettings().alwaysAllow;
    return entries.some((entry) => session?.has(entry) || always.includes(entry));
  }

  /** Records an approval that reaches beyond one call. */
  async allow(conversationId: string, tool: OfferedTool, scope: McpApprovalScope): Promise<void> {
    if (scope === 'once') {
      return;
    }
    if (scope === 'toolAlways') {
      await addAlwaysAllow(`${tool.server}/${tool.tool}`);
      return;
    }
    const set = this.allowed.get(conversationId) ?? new Set<string>();
    set.add(scope === 'serverConversation' ? `${tool.server}/*` : `${tool.server}/${tool.tool}`);
    this.allowed.set(conversationId, set);
  }

  /** Runs one approved call on its server. */
  async call(call: ToolCall, tool: OfferedTool, signal: AbortSignal): Promise<ToolOutcome> {
    const connection = this.manager.connection(tool.server);
    if (!connection) {
      const state = this.manager.state(tool.server);
      const why = state?.kind === 'failed' ? `: ${state.reason}` : state?.kind === 'stopped' ? `: ${state.reason}` : '.';
      return { status: 'failed', content: `The MCP server "${tool.server}" is not running${why} The call of ${tool.tool} was not made.` };
    }
    const input = typeof call.input === 'object' && call.input !== null && !Array.isArray(call.input) ? (call.input as Record<string, unknown>) : {};
    const settings = readMcpSettings();
    const timeoutMs = settings.callTimeoutSeconds * 1000;
    const started = Date.now();
    // One signal per call, tied to the turn's: the SDK keeps a listener on the signal it is given, and a
    // long loop would pile them up on the turn's signal.
    const perCall = new AbortController();
    const forward = () => perCall.abort(signal.reason);
    signal.addEventListener('abort', forward, { once: true });
    if (signal.aborted) {
      perCall.abort(signal.reason);
    }
    try {
      const result = await connection.callTool(tool.tool, input, { timeoutMs, signal: perCall.signal });
      const converted = convertCallResult(result, settings.maxResultBytes);
      if (converted.cut) {
        this.logger.info(`[MCP] ${tool.server}/${tool.tool}: result cut at ${settings.maxResultBytes} bytes`);
      }
      return { status: converted.isError ? 'failed' : 'done', content: converted.content, durationMs: Date.now() - started };
    } catch (error) {
      const durationMs = Date.now() - started;
      if (signal.aborted) {
        return { status: 'stopped', content: `Stopped by the user; the MCP server "${tool.server}" was asked to cancel ${tool.tool}.`, durationMs };
      }
      const code = (error as { code?: unknown }).code;
      const message = describeError(error);
      this.logger.warn(`[MCP] ${tool.server}/${tool.tool} failed: ${message}`);
      if (code === -32001) {
        return {
          status: 'failed',
          content: `The MCP server "${tool.server}" did not answer ${tool.tool} within ${settings.callTimeoutSeconds} s (marathon.mcp.callTimeoutSeconds); the call was cancelled.`,
          durationMs,
        };
      }
      if (code === -32000 || !this.manager.connection(tool.server)) {
        const tail = this.manager.stderrTail(tool.server).slice(-3);
        return {
          status: 'failed',
          content: `The MCP server "${tool.server}" stopped during the call of ${tool.tool}; no result came back.${tail.length > 0 ? ` Its last output:\n${tail.join('\n')}` : ''}`,
          durationMs,
        };
      }
      return { status: 'failed', content: `The MCP server "${tool.server}" answered ${tool.tool} with an error: ${message}`, durationMs };
    } finally {
      signal.removeEventListener('abort', forward);
    }
  }
}
