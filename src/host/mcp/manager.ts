// The MCP servers of the window: reads their definitions (the workspace's `.vscode/mcp.json` and the
// user setting `marathon.mcp.servers`), starts the ones allowed to run (a workspace server only once the
// user trusted that exact definition, never in Restricted Mode), restarts what a change touched, and
// keeps each server's state, tools and stderr (its own log channel).
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { Logger } from '../../core/ports';
import { Disposable } from '../disposable';
import type { InputDefinition, McpConfig, ServerDefinition } from './serverConfig';
import type { McpConnection, PromptInfo, ResourceInfo } from './connection';
import { showElicitForm, type ElicitAnswer } from './elicitForm';
import { loadMcpRuntime } from './load';
import { readMcpSettings } from './settings';
import type { McpToolInfo } from './toolNames';
import { describeError, loggableError } from '../../core/errorText';

export type ServerState =
  | { kind: 'starting' }
  | { kind: 'running'; tools: number; transport: string }
  | { kind: 'failed'; reason: string; stderr: string[] }
  | { kind: 'stopped'; reason: string }
  /** A workspace server waiting for the user's trust. */
  | { kind: 'untrusted' };

export interface ServerSnapshot {
  name: string;
  source: ServerDefinition['source'];
  /** What it runs (command line or URL), for the list and the trust prompt. */
  runs: string;
  state: ServerState;
}

export interface McpManagerDeps {
  logger: Logger;
  secrets: vscode.SecretStorage;
  /** Where trusted definitions are remembered (the workspace's state). */
  memento: vscode.Memento;
  /** Restricted Mode check; tests replace it. */
  isTrusted?: () => boolean;
  clientVersion: string;
}

/** What the manager asks the user; tests replace them. */
export interface McpPrompts {
  /** Trust a workspace server (the prompt names what it runs)? */
  confirmTrust(server: ServerSnapshot): Promise<boolean>;
  /** The value of an `inputs` entry; undefined when the user gave none. */
  askInput(input: InputDefinition): Promise<string | undefined>;
  /** A server asks the user for input during a call (elicitation, form mode). */
  elicit(server: string, message: string, requestedSchema: unknown): Promise<ElicitAnswer>;
}

interface Entry {
  definition: ServerDefinition;
  state: ServerState;
  tools: McpToolInfo[];
  resources: ResourceInfo[];
  prompts: PromptInfo[];
  connection?: McpConnection;
  /** Bumped on every start and stop: a late result of an older start is dropped. */
  generation: number;
  stderr: string[];
}

const TRUSTED_KEY = 'marathon.mcp.trustedServers';
const STDERR_LINES = 20;
const MCP_FILE = '.vscode/mcp.json';

export class McpServerManager extends Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly channels = new Map<string, vscode.LogOutputChannel>();
  private readonly _onDidChange = this._register(new vscode.EventEmitter<void>());
  /** A server started, stopped, failed or changed its tools. */
  readonly onDidChange = this._onDidChange.event;
  private inputs: InputDefinition[] = [];
  private problems: string[] = [];
  private started = false;
  private reloading: Promise<void> = Promise.resolve();
  /** Trust prompts already shown this session (by fingerprint), so a refusal is not asked again and again. */
  private readonly asked = new Set<string>();
  private disposed = false;
  ask: McpPrompts = { confirmTrust, askInput, elicit: showElicitForm };

  constructor(private readonly deps: McpManagerDeps) {
    super();
  }

  private trustedWorkspace(): boolean {
    return this.deps.isTrusted?.() ?? vscode.workspace.isTrusted;
  }

  /** Reads the configuration and starts the servers; watches for changes from then on. Called once, after activation. */
  start(): Promise<void> {
    if (this.started) {
      return this.reloading;
    }
    this.started = true;
    const watcher = this._register(vscode.workspace.createFileSystemWatcher(`**/${MCP_FILE}`));
    this._register(watcher.onDidChange(() => this.reload()));
    this._register(watcher.onDidCreate(() => this.reload()));
    this._register(watcher.onDidDelete(() => this.reload()));
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('marathon.mcp')) {
          void this.reload();
        }
      }),
    );
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => void this.reload()));
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(() => void this.reload()));
    return this.reload();
  }

  /** Reads both sources again and brings the servers in line; calls are serialized. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(() => this.apply()).catch((error: unknown) => this.deps.logger.error(loggableError(error)));
    return this.reloading;
  }

  private async readConfig(): Promise<McpConfig> {
    const userValue = readMcpSettings().servers;
    const files: string[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      try {
        files.push(new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, MCP_FILE))));
      } catch {
        // No mcp.json in this folder.
      }
    }
    const userServers = (userValue as { servers?: unknown } | undefined)?.servers;
    if (files.length === 0 && this.entries.size === 0 && (typeof userServers !== 'object' || userServers === null || Object.keys(userServers).length === 0)) {
      // Nothing configured: the MCP bundle is not even loaded.
      return { servers: [], inputs: [], problems: [] };
    }
    // Parsing lives in the MCP bundle too: nothing of it is loaded before there is a configuration to read.
    const { mergeConfigs, parseMcpConfig, parseMcpJson } = await loadMcpRuntime();
    // Several folders: their files add up (a later folder's server replaces an earlier one of the same name).
    const workspace = files.map((text) => parseMcpJson(text, 'workspace')).reduce<McpConfig>(
      (merged, next) => ({
        servers: [...merged.servers.filter((server) => !next.servers.some((other) => other.name === server.name)), ...next.servers],
        inputs: [...merged.inputs, ...next.inputs],
        problems: [...merged.problems, ...next.problems],
      }),
      { servers: [], inputs: [], problems: [] },
    );
    return mergeConfigs(parseMcpConfig(userValue, 'user'), workspace);
  }


  private async apply(): Promise<void> {
    if (this.disposed) {
      return;
    }
    const config = await this.readConfig();
    this.inputs = config.inputs;
    const newProblems = config.problems.filter((problem) => !this.problems.includes(problem));
    this.problems = config.problems;
    for (const problem of newProblems) {
      this.deps.logger.warn(`[MCP] ${problem}`);
      void vscode.window.showWarningMessage(`Marathon: ${problem}`);
    }
    const wanted = new Map(config.servers.map((server) => [server.name, server]));
    for (const [name, entry] of this.entries) {
      const next = wanted.get(name);
      if (!next || next.fingerprint !== entry.definition.fingerprint) {
        await this.stopEntry(entry, 'Removed from the configuration.');
        this.entries.delete(name);
      }
    }
    for (const definition of config.servers) {
      if (!this.entries.has(definition.name)) {
        const entry: Entry = { definition, state: { kind: 'stopped', reason: 'Not started yet.' }, tools: [], resources: [], prompts: [], generation: 0, stderr: [] };
        this.entries.set(definition.name, entry);
        void this.launch(entry, false);
      } else {
        const entry = this.entries.get(definition.name)!;
        // Trust granted to the workspace since: start what was held back.
        if (entry.state.kind === 'stopped' && entry.state.reason.startsWith('Restricted Mode') && this.trustedWorkspace()) {
          void this.launch(entry, false);
        }
      }
    }
    this.changed();
  }

  private isTrustedDefinition(definition: ServerDefinition): boolean {
    return definition.source === 'user' || this.deps.memento.get<string[]>(TRUSTED_KEY, []).includes(definition.fingerprint);
  }

  private async rememberTrust(definition: ServerDefinition): Promise<void> {
    const trusted = this.deps.memento.get<string[]>(TRUSTED_KEY, []).filter((fingerprint) => fingerprint !== definition.fingerprint);
    await this.deps.memento.update(TRUSTED_KEY, [...trusted.slice(-99), definition.fingerprint]);
  }

  /** Starts a server if it may run; `ask` shows the trust prompt again even after a refusal. */
  private async launch(entry: Entry, ask: boolean): Promise<void> {
    const { definition } = entry;
    if (definition.source === 'workspace') {
      if (!this.trustedWorkspace()) {
        this.setState(entry, { kind: 'stopped', reason: 'Restricted Mode: servers defined by this workspace do not run until you trust the workspace.' });
        return;
      }
      if (!this.isTrustedDefinition(definition)) {
        this.setState(entry, { kind: 'untrusted' });
        if (!ask && this.asked.has(definition.fingerprint)) {
          return;
        }
        this.asked.add(definition.fingerprint);
        if (!(await this.ask.confirmTrust(this.snapshot(entry)))) {
          this.deps.logger.info(`[MCP] ${definition.name}: not trusted; not started`);
          return;
        }
        await this.rememberTrust(definition);
        if (this.entries.get(definition.name) !== entry) {
          return;
        }
      }
    }
    const generation = ++entry.generation;
    entry.stderr = [];
    this.setState(entry, { kind: 'starting' });
    const channel = this.channel(definition.name);
    try {
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      const runtime = await loadMcpRuntime();
      const spec = await runtime.resolveSpec(definition.spec, {
        workspaceFolder: folder,
        userHome: os.homedir(),
        env: process.env,
        input: (id) => this.inputValue(id),
      });
      channel.info(`Starting: ${definition.runs}`);
      const connection = await runtime.McpConnection.connect({
        spec,
        clientName: 'marathon',
        clientVersion: this.deps.clientVersion,
        onStderr: (line) => {
          channel.info(line);
          entry.stderr.push(line);
          if (entry.stderr.length > STDERR_LINES) {
            entry.stderr.shift();
          }
        },
        onClosed: (reason) => {
          if (entry.generation === generation) {
            entry.connection = undefined;
            entry.tools = [];
            channel.warn(reason);
            this.deps.logger.warn(`[MCP] ${definition.name}: ${reason}`);
            this.setState(entry, { kind: 'failed', reason, stderr: [...entry.stderr] });
          }
        },
        elicit: async (request) => {
          channel.info('The server asks for input (elicitation).');
          return this.ask.elicit(definition.name, request.message, 'requestedSchema' in request ? request.requestedSchema : undefined);
        },
        onListChanged: (what) => {
          if (entry.generation === generation) {
            void this.refreshLists(entry, generation, what);
          }
        },
      });
      if (entry.generation !== generation) {
        await connection.close();
        return;
      }
      entry.connection = connection;
      await this.refreshLists(entry, generation, 'all');
      channel.info(`Running over ${connection.transportName}${connection.pid ? ` (pid ${connection.pid})` : ''}: ${entry.tools.length} tool(s)`);
      this.deps.logger.info(`[MCP] ${definition.name}: running, ${entry.tools.length} tool(s)`);
    } catch (error) {
      if (entry.generation !== generation) {
        return;
      }
      entry.connection = undefined;
      const reason = error instanceof (await loadMcpRuntime()).MissingInputError ? `${error.message} Start it again to be asked.` : describeFailure(error);
      channel.error(reason);
      this.deps.logger.warn(`[MCP] ${definition.name} failed to start: ${reason}`);
      this.setState(entry, { kind: 'failed', reason, stderr: [...entry.stderr] });
    }
  }

  private async refreshLists(entry: Entry, generation: number, what: 'tools' | 'resources' | 'prompts' | 'all'): Promise<void> {
    const connection = entry.connection;
    if (!connection) {
      return;
    }
    try {
      if (what === 'all' || what === 'tools') {
        const tools = await connection.listTools();
        if (entry.generation === generation) {
          entry.tools = tools;
        }
      }
      // Resources and prompts are extras: a server that fails to list them still runs its tools.
      if (what === 'all' || what === 'resources') {
        entry.resources = await connection.listResources().catch(() => []);
      }
      if (what === 'all' || what === 'prompts') {
        entry.prompts = await connection.listPrompts().catch(() => []);
      }
      if (entry.generation === generation && entry.connection === connection) {
        this.setState(entry, { kind: 'running', tools: entry.tools.length, transport: connection.transportName });
      }
    } catch (error) {
      if (entry.generation === generation) {
        const reason = `Listing its tools failed: ${describeFailure(error)}`;
        this.channel(entry.definition.name).error(reason);
        await connection.close();
        entry.connection = undefined;
        entry.tools = [];
        this.setState(entry, { kind: 'failed', reason, stderr: [...entry.stderr] });
      }
    }
  }

  private async inputValue(id: string): Promise<string | undefined> {
    const key = `marathon.mcp.input.${id}`;
    const stored = await this.deps.secrets.get(key);
    if (stored !== undefined) {
      return stored;
    }
    const input = this.inputs.find((candidate) => candidate.id === id) ?? { id, description: id, password: true };
    const value = await this.ask.askInput(input);
    if (value !== undefined) {
      await this.deps.secrets.store(key, value);
    }
    return value;
  }

  /** Forgets the stored values of the inputs a server uses, so they are asked again. */
  async forgetInputs(name: string): Promise<void> {
    const entry = this.entries.get(name);
    const { inputsUsed } = await loadMcpRuntime();
    for (const id of entry ? inputsUsed(entry.definition.spec) : []) {
      await this.deps.secrets.delete(`marathon.mcp.input.${id}`);
    }
  }

  private async stopEntry(entry: Entry, reason: string): Promise<void> {
    entry.generation++;
    const connection = entry.connection;
    entry.connection = undefined;
    entry.tools = [];
    entry.resources = [];
    entry.prompts = [];
    this.setState(entry, { kind: 'stopped', reason });
    if (connection) {
      this.channel(entry.definition.name).info(`Stopping: ${reason}`);
      await connection.close();
    }
  }

  private setState(entry: Entry, state: ServerState): void {
    entry.state = state;
    this.changed();
  }

  private changed(): void {
    if (!this.disposed) {
      this._onDidChange.fire();
    }
  }

  private channel(name: string): vscode.LogOutputChannel {
    let channel = this.channels.get(name);
    if (!channel) {
      channel = vscode.window.createOutputChannel(`Marathon MCP: ${name}`, { log: true });
      this.channels.set(name, channel);
    }
    return channel;
  }

  private snapshot(entry: Entry): ServerSnapshot {
    return { name: entry.definition.name, source: entry.definition.source, runs: entry.definition.runs, state: entry.state };
  }

  servers(): ServerSnapshot[] {
    return [...this.entries.values()].map((entry) => this.snapshot(entry));
  }

  /** Running servers and their tools, in configuration order. */
  runningTools(): Array<{ server: string; tools: McpToolInfo[] }> {
    return [...this.entries.values()].filter((entry) => entry.state.kind === 'running' && entry.connection).map((entry) => ({ server: entry.definition.name, tools: entry.tools }));
  }

  resources(): Array<{ server: string; resources: ResourceInfo[] }> {
    return [...this.entries.values()].filter((entry) => entry.connection && entry.resources.length > 0).map((entry) => ({ server: entry.definition.name, resources: entry.resources }));
  }

  prompts(): Array<{ server: string; prompts: PromptInfo[] }> {
    return [...this.entries.values()].filter((entry) => entry.connection && entry.prompts.length > 0).map((entry) => ({ server: entry.definition.name, prompts: entry.prompts }));
  }

  connection(name: string): McpConnection | undefined {
    return this.entries.get(name)?.connection;
  }

  state(name: string): ServerState | undefined {
    return this.entries.get(name)?.state;
  }

  /** The last stderr lines of a server, for a failed call's message. */
  stderrTail(name: string): string[] {
    return [...(this.entries.get(name)?.stderr ?? [])];
  }

  async restart(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (entry) {
      await this.stopEntry(entry, 'Restarting.');
      await this.launch(entry, true);
    }
  }

  async stop(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (entry) {
      await this.stopEntry(entry, 'Stopped by the user.');
    }
  }

  showLog(name: string): void {
    this.channel(name).show(true);
  }

  override dispose(): void {
    this.disposed = true;
    for (const entry of this.entries.values()) {
      entry.generation++;
      void entry.connection?.close();
    }
    this.entries.clear();
    for (const channel of this.channels.values()) {
      channel.dispose();
    }
    super.dispose();
  }
}

/** Why a server failed: a missing command is named, anything else described as thrown. */
function describeFailure(error: unknown): string {
  if (error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT' && 'path' in error) {
    return `The command ${String((error as NodeJS.ErrnoException).path)} was not found.`;
  }
  return describeError(error);
}

async function confirmTrust(server: ServerSnapshot): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(
    `Marathon: start the MCP server "${server.name}" defined by this workspace? It runs: ${server.runs}`,
    { detail: `${server.runs}\n\nOnly trust servers you know: a server runs with your permissions.` },
    'Trust and Start',
    "Don't Start",
  );
  return choice === 'Trust and Start';
}

function askInput(input: InputDefinition): Promise<string | undefined> {
  return Promise.resolve(
    vscode.window.showInputBox({
      title: 'Marathon: MCP server input',
      prompt: input.description,
      password: input.password,
      value: input.default,
      ignoreFocusOut: true,
    }),
  );
}
