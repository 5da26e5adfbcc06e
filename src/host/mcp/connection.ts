// The MCP bundle: one connection to one server through the official SDK client (stdio, streamable
// HTTP with SSE fallback, or SSE). Loaded on first use (see src/host/mcp/load.ts), so activation never
// parses the SDK. Pure Node: no `vscode` import, so the conformance entry can use it too.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { readFile } from 'node:fs/promises';
import { parseEnvFile, type ServerSpec } from './serverConfig';
import type { McpCallResult } from './results';
import type { McpToolInfo } from './toolNames';
import { describeError } from '../../core/errorText';

export interface ResourceInfo {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
}

export interface PromptInfo {
  name: string;
  title?: string;
  description?: string;
  arguments: Array<{ name: string; description?: string; required: boolean }>;
}

export interface ResourceContents {
  uri: string;
  mimeType?: string;
  text?: string;
  blob?: string;
}

export interface PromptMessage {
  role: 'user' | 'assistant';
  /** Text of the message; embedded resources are given as their text, other content as a marker. */
  text: string;
}

export interface ConnectOptions {
  /** A resolved definition (no `${…}` left). */
  spec: ServerSpec;
  clientName: string;
  clientVersion: string;
  /** Each line the server writes to stderr (stdio only). */
  onStderr?: (line: string) => void;
  /** The connection ended without close() being called: the process exited or the stream dropped. */
  onClosed?: (reason: string) => void;
  /** The server said its tools (or resources, prompts) changed; list them again. */
  onListChanged?: (what: 'tools' | 'resources' | 'prompts') => void;
  /** Answers elicitation requests; without it the client does not offer elicitation. */
  elicit?: (request: ElicitRequest['params']) => Promise<ElicitResult>;
  /** Time allowed for the handshake. */
  connectTimeoutMs?: number;
}

export interface CallOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export class McpConnection {
  private closing = false;

  private constructor(
    private readonly client: Client,
    private readonly transport: Transport,
    /** Which transport got through, for the log and the server list. */
    readonly transportName: 'stdio' | 'streamable HTTP' | 'SSE',
  ) {}

  static async connect(options: ConnectOptions): Promise<McpConnection> {
    const { spec } = options;
    const attempt = async (transport: Transport, name: McpConnection['transportName']): Promise<McpConnection> => {
      const client = new Client(
        { name: options.clientName, version: options.clientVersion },
        {
          capabilities: options.elicit ? { elicitation: { form: {} } } : {},
          listChanged: {
            tools: { autoRefresh: false, onChanged: () => options.onListChanged?.('tools') },
            resources: { autoRefresh: false, onChanged: () => options.onListChanged?.('resources') },
            prompts: { autoRefresh: false, onChanged: () => options.onListChanged?.('prompts') },
          },
        },
      );
      if (options.elicit) {
        const elicit = options.elicit;
        client.setRequestHandler(ElicitRequestSchema, (request) => elicit(request.params));
      }
      const connection = new McpConnection(client, transport, name);
      client.onclose = () => {
        if (!connection.closing) {
          connection.closing = true;
          options.onClosed?.(name === 'stdio' ? 'The server process exited.' : 'The connection to the server was closed.');
        }
      };
      try {
        await client.connect(transport, { timeout: options.connectTimeoutMs ?? 30_000 });
      } catch (error) {
        connection.closing = true;
        await client.close().catch(() => undefined);
        throw error;
      }
      return connection;
    };
    if (spec.transport === 'stdio') {
      const fileEnv = spec.envFile ? parseEnvFile(await readEnvFile(spec.envFile)) : {};
      const env: Record<string, string> = { ...getDefaultEnvironment(), ...fileEnv };
      for (const [key, value] of Object.entries(spec.env)) {
        if (value === null) {
          delete env[key];
        } else {
          env[key] = value;
        }
      }
      const transport = new StdioClientTransport({ command: spec.command, args: spec.args, env, cwd: spec.cwd, stderr: 'pipe' });
      const stderr = transport.stderr;
      if (stderr && options.onStderr) {
        let partial = '';
        stderr.on('data', (chunk: Buffer | string) => {
          const lines = (partial + chunk.toString()).split(/\r?\n/);
          partial = lines.pop() ?? '';
          for (const line of lines) {
            options.onStderr?.(line);
          }
        });
        stderr.on('end', () => {
          if (partial !== '') {
            options.onStderr?.(partial);
          }
        });
      }
      return attempt(transport, 'stdio');
    }
    const url = new URL(spec.url);
    const requestInit: RequestInit = { headers: spec.headers };
    if (spec.transport === 'sse') {
      return attempt(new SSEClientTransport(url, { requestInit }), 'SSE');
    }
    try {
      return await attempt(new StreamableHTTPClientTransport(url, { requestInit }), 'streamable HTTP');
    } catch (error) {
      // Servers of the older HTTP+SSE transport refuse the streamable POST (4xx): try SSE, as VS Code does.
      const status = (error as { code?: unknown }).code;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        return attempt(new SSEClientTransport(url, { requestInit }), 'SSE');
      }
      throw error;
    }
  }

  /** The server process id (stdio), for the log. */
  get pid(): number | undefined {
    return this.transport instanceof StdioClientTransport ? (this.transport.pid ?? undefined) : undefined;
  }

  has(capability: 'tools' | 'resources' | 'prompts'): boolean {
    return this.client.getServerCapabilities()?.[capability] !== undefined;
  }

  async listTools(): Promise<McpToolInfo[]> {
    if (!this.has('tools')) {
      return [];
    }
    const tools: McpToolInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.client.listTools(cursor ? { cursor } : undefined);
      for (const tool of page.tools) {
        tools.push({ name: tool.name, title: tool.title ?? tool.annotations?.title, description: tool.description, inputSchema: tool.inputSchema, readOnlyHint: tool.annotations?.readOnlyHint });
      }
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  }

  async callTool(name: string, args: Record<string, unknown>, options: CallOptions): Promise<McpCallResult> {
    const result = await this.client.callTool({ name, arguments: args }, undefined, { timeout: options.timeoutMs, signal: options.signal });
    if ('toolResult' in result) {
      // The 2024-10-07 shape: a bare value.
      return { content: [{ type: 'text', text: JSON.stringify(result.toolResult) }] };
    }
    return { content: result.content, structuredContent: result.structuredContent, isError: result.isError === true };
  }

  async listResources(): Promise<ResourceInfo[]> {
    if (!this.has('resources')) {
      return [];
    }
    const resources: ResourceInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.client.listResources(cursor ? { cursor } : undefined);
      for (const resource of page.resources) {
        resources.push({ uri: resource.uri, name: resource.name, title: resource.title, description: resource.description, mimeType: resource.mimeType });
      }
      cursor = page.nextCursor;
    } while (cursor && resources.length < 1000);
    return resources;
  }

  async readResource(uri: string, timeoutMs: number): Promise<ResourceContents[]> {
    const result = await this.client.readResource({ uri }, { timeout: timeoutMs });
    return result.contents.map((item) => ({
      uri: item.uri,
      mimeType: item.mimeType,
      text: 'text' in item && typeof item.text === 'string' ? item.text : undefined,
      blob: 'blob' in item && typeof item.blob === 'string' ? item.blob : undefined,
    }));
  }

  async listPrompts(): Promise<PromptInfo[]> {
    if (!this.has('prompts')) {
      return [];
    }
    const prompts: PromptInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.client.listPrompts(cursor ? { cursor } : undefined);
      for (const prompt of page.prompts) {
        prompts.push({
          name: prompt.name,
          title: prompt.title,
          description: prompt.description,
          arguments: (prompt.arguments ?? []).map((arg) => ({ name: arg.name, description: arg.description, required: arg.required === true })),
        });
      }
      cursor = page.nextCursor;
    } while (cursor && prompts.length < 1000);
    return prompts;
  }

  async getPrompt(name: string, args: Record<string, string>, timeoutMs: number): Promise<PromptMessage[]> {
    const result = await this.client.getPrompt({ name, arguments: args }, { timeout: timeoutMs });
    return result.messages.map((message) => {
      const content = message.content;
      let text: string;
      if (content.type === 'text') {
        text = content.text;
      } else if (content.type === 'resource') {
        text = 'text' in content.resource && typeof content.resource.text === 'string' ? content.resource.text : `[resource ${content.resource.uri}]`;
      } else {
        text = `[${content.type} content of the prompt left out]`;
      }
      return { role: message.role, text };
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.client.close().catch(() => undefined);
  }
}

async function readEnvFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`The envFile ${file} could not be read: ${describeError(error)}`);
  }
}
