// MCP server configuration in VS Code's own format (`.vscode/mcp.json` and the `marathon.mcp.servers`
// setting): `servers` (stdio, http, sse) and `inputs` (prompted secrets), checked into definitions, and
// the `${…}` variables resolved just before a server starts. Pure: no `vscode` import.
import { createHash } from 'node:crypto';
import * as jsonc from 'jsonc-parser';

export type ServerSource = 'workspace' | 'user';

export interface StdioSpec {
  transport: 'stdio';
  command: string;
  args: string[];
  env: Record<string, string | null>;
  envFile?: string;
  cwd?: string;
}

export interface RemoteSpec {
  /** `http`: streamable HTTP (falling back to SSE, as VS Code does); `sse`: the older HTTP+SSE transport. */
  transport: 'http' | 'sse';
  url: string;
  headers: Record<string, string>;
}

export type ServerSpec = StdioSpec | RemoteSpec;

export interface ServerDefinition {
  /** The key under `servers`; also the prefix of its tools' names. */
  name: string;
  source: ServerSource;
  spec: ServerSpec;
  /** What it runs (command line or URL), for the trust prompt and the server list. */
  runs: string;
  /** Changes whenever the definition does: trust is given to one exact definition, and a change restarts it. */
  fingerprint: string;
}

export interface InputDefinition {
  id: string;
  description: string;
  password: boolean;
  default?: string;
}

export interface McpConfig {
  servers: ServerDefinition[];
  inputs: InputDefinition[];
  /** What was wrong with the file or setting, one sentence each; the rest is still used. */
  problems: string[];
}

const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMap(value: unknown, where: string, problems: string[], allowNull = false): Record<string, string | null> {
  if (value === undefined) {
    return {};
  }
  if (!isRecord(value)) {
    problems.push(`${where} must be an object of strings.`);
    return {};
  }
  const out: Record<string, string | null> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string' || (allowNull && item === null)) {
      out[key] = item;
    } else if (typeof item === 'number' || typeof item === 'boolean') {
      out[key] = String(item);
    } else {
      problems.push(`${where}.${key} must be a string.`);
    }
  }
  return out;
}

function parseServer(name: string, raw: unknown, source: ServerSource, problems: string[]): ServerDefinition | undefined {
  const where = `servers.${name}`;
  if (!SERVER_NAME.test(name)) {
    problems.push(`${where}: a server name must start with a letter or digit and hold only letters, digits, spaces, ".", "_" and "-" (64 at most).`);
    return undefined;
  }
  if (!isRecord(raw)) {
    problems.push(`${where} must be an object.`);
    return undefined;
  }
  const declared = raw['type'];
  const type = declared === undefined ? (typeof raw['url'] === 'string' ? 'http' : 'stdio') : declared;
  let spec: ServerSpec;
  if (type === 'stdio') {
    const command = raw['command'];
    if (typeof command !== 'string' || command.trim() === '') {
      problems.push(`${where}.command is required for a stdio server.`);
      return undefined;
    }
    const args = raw['args'] ?? [];
    if (!Array.isArray(args) || args.some((arg) => typeof arg !== 'string' && typeof arg !== 'number')) {
      problems.push(`${where}.args must be a list of strings.`);
      return undefined;
    }
    const envFile = raw['envFile'];
    const cwd = raw['cwd'];
    spec = {
      transport: 'stdio',
      command,
      args: args.map(String),
      env: stringMap(raw['env'], `${where}.env`, problems, true),
      envFile: typeof envFile === 'string' && envFile.trim() !== '' ? envFile : undefined,
      cwd: typeof cwd === 'string' && cwd.trim() !== '' ? cwd : undefined,
    };
  } else if (type === 'http' || type === 'sse') {
    const url = raw['url'];
    if (typeof url !== 'string' || url.trim() === '') {
      problems.push(`${where}.url is required for an ${type} server.`);
      return undefined;
    }
    const headers = stringMap(raw['headers'], `${where}.headers`, problems);
    spec = { transport: type, url, headers: Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== null)) };
  } else {
    problems.push(`${where}.type ${JSON.stringify(type) ?? 'undefined'} is not one of "stdio", "http", "sse".`);
    return undefined;
  }
  return { name, source, spec, runs: describeSpec(spec), fingerprint: fingerprintOf(name, source, spec) };
}

export function fingerprintOf(name: string, source: ServerSource, spec: ServerSpec): string {
  return createHash('sha256').update(JSON.stringify([name, source, spec])).digest('hex').slice(0, 24);
}

function parseInputs(raw: unknown, problems: string[]): InputDefinition[] {
  if (raw === undefined) {
    return [];
  }
  if (!Array.isArray(raw)) {
    problems.push('inputs must be a list.');
    return [];
  }
  const inputs: InputDefinition[] = [];
  raw.forEach((item, index) => {
    if (!isRecord(item) || typeof item['id'] !== 'string' || item['id'].trim() === '') {
      problems.push(`inputs.${index} needs an "id".`);
      return;
    }
    if (item['type'] !== undefined && item['type'] !== 'promptString') {
      problems.push(`inputs.${index}: only "promptString" inputs are supported; ${JSON.stringify(item['type'])} is ignored.`);
      return;
    }
    inputs.push({
      id: item['id'],
      description: typeof item['description'] === 'string' ? item['description'] : item['id'],
      password: item['password'] === true,
      default: typeof item['default'] === 'string' ? item['default'] : undefined,
    });
  });
  return inputs;
}

/** Checks a parsed configuration object (the setting's value, or the file's content). */
export function parseMcpConfig(value: unknown, source: ServerSource): McpConfig {
  const problems: string[] = [];
  if (value === undefined || value === null) {
    return { servers: [], inputs: [], problems };
  }
  if (!isRecord(value)) {
    return { servers: [], inputs: [], problems: ['The MCP configuration must be an object with "servers".'] };
  }
  const servers: ServerDefinition[] = [];
  const rawServers = value['servers'] ?? {};
  if (!isRecord(rawServers)) {
    problems.push('"servers" must be an object keyed by server name.');
  } else {
    for (const [name, raw] of Object.entries(rawServers)) {
      const server = parseServer(name, raw, source, problems);
      if (server) {
        servers.push(server);
      }
    }
  }
  return { servers, inputs: parseInputs(value['inputs'], problems), problems };
}

/** Parses `.vscode/mcp.json` (JSON with comments and trailing commas, as VS Code reads it). */
export function parseMcpJson(text: string, source: ServerSource): McpConfig {
  const errors: jsonc.ParseError[] = [];
  const value: unknown = jsonc.parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const first = errors[0]!;
    const line = text.slice(0, first.offset).split('\n').length;
    return { servers: [], inputs: [], problems: [`mcp.json: ${jsonc.printParseErrorCode(first.error)} at line ${line}; no server of the file is started.`] };
  }
  return parseMcpConfig(value, source);
}

/**
 * Both sources together: a workspace server with the name of a user server replaces it (as a workspace
 * setting overrides a user one), and says so.
 */
export function mergeConfigs(user: McpConfig, workspace: McpConfig): McpConfig {
  const names = new Set(workspace.servers.map((server) => server.name));
  const shadowed = user.servers.filter((server) => names.has(server.name)).map((server) => `The workspace's server "${server.name}" replaces the one of the same name in marathon.mcp.servers.`);
  const inputIds = new Set(workspace.inputs.map((input) => input.id));
  return {
    servers: [...user.servers.filter((server) => !names.has(server.name)), ...workspace.servers],
    inputs: [...user.inputs.filter((input) => !inputIds.has(input.id)), ...workspace.inputs],
    problems: [...user.problems.map((p) => `marathon.mcp.servers: ${p}`), ...workspace.problems.map((p) => (p.startsWith('mcp.json') ? p : `mcp.json: ${p}`)), ...shadowed],
  };
}

/** What a definition will run, in one line, for the trust prompt and the server list. */
export function describeSpec(spec: ServerSpec): string {
  if (spec.transport === 'stdio') {
    return [spec.command, ...spec.args].map((part) => (/[\s"']/.test(part) ? JSON.stringify(part) : part)).join(' ');
  }
  return `${spec.transport === 'sse' ? 'SSE' : 'HTTP'} ${spec.url}`;
}

export interface VariableContext {
  workspaceFolder?: string;
  userHome: string;
  env: NodeJS.ProcessEnv;
  /** The value of `${input:id}`; undefined when the user gave none (the server then does not start). */
  input(id: string): Promise<string | undefined>;
}

const VARIABLE = /\$\{([^}]+)\}/g;

/** Ids of the `${input:…}` a definition uses, so they can be asked for before it starts. */
export function inputsUsed(spec: ServerSpec): string[] {
  const ids = new Set<string>();
  for (const text of JSON.stringify(spec).matchAll(VARIABLE)) {
    const name = text[1]!;
    if (name.startsWith('input:')) {
      ids.add(name.slice('input:'.length));
    }
  }
  return [...ids];
}

export class MissingInputError extends Error {
  constructor(readonly inputId: string) {
    super(`No value was given for the input "${inputId}".`);
  }
}

async function resolveText(text: string, ctx: VariableContext): Promise<string> {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(VARIABLE)) {
    out += text.slice(last, match.index);
    last = (match.index ?? 0) + match[0].length;
    const name = match[1]!;
    if (name === 'workspaceFolder') {
      if (ctx.workspaceFolder === undefined) {
        throw new Error('${workspaceFolder} is used but no folder is open.');
      }
      out += ctx.workspaceFolder;
    } else if (name === 'workspaceFolderBasename') {
      out += ctx.workspaceFolder?.split(/[\\/]/).pop() ?? '';
    } else if (name === 'userHome') {
      out += ctx.userHome;
    } else if (name === 'pathSeparator' || name === '/') {
      out += process.platform === 'win32' ? '\\' : '/';
    } else if (name.startsWith('env:')) {
      out += ctx.env[name.slice(4)] ?? '';
    } else if (name.startsWith('input:')) {
      const id = name.slice(6);
      const value = await ctx.input(id);
      if (value === undefined) {
        throw new MissingInputError(id);
      }
      out += value;
    } else {
      throw new Error(`The variable \${${name}} is not supported here.`);
    }
  }
  return out + text.slice(last);
}

async function resolveMap<T extends string | null>(map: Record<string, T>, ctx: VariableContext): Promise<Record<string, T>> {
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(map)) {
    out[key] = (value === null ? null : await resolveText(value, ctx)) as T;
  }
  return out;
}

/** The definition with every `${…}` replaced; throws a MissingInputError or a plain Error saying what is wrong. */
export async function resolveSpec(spec: ServerSpec, ctx: VariableContext): Promise<ServerSpec> {
  if (spec.transport === 'stdio') {
    const args: string[] = [];
    for (const arg of spec.args) {
      args.push(await resolveText(arg, ctx));
    }
    return {
      transport: 'stdio',
      command: await resolveText(spec.command, ctx),
      args,
      env: await resolveMap(spec.env, ctx),
      envFile: spec.envFile === undefined ? undefined : await resolveText(spec.envFile, ctx),
      cwd: spec.cwd === undefined ? ctx.workspaceFolder : await resolveText(spec.cwd, ctx),
    };
  }
  return { transport: spec.transport, url: await resolveText(spec.url, ctx), headers: await resolveMap(spec.headers, ctx) };
}

/** Lines `KEY=value` of an env file (`#` comments, optional `export `, single or double quotes). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!match) {
      continue;
    }
    let value = match[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') {
        value = value.replace(/\\n/g, '\n').replace(/\\"/g, '"');
      }
    } else {
      value = value.replace(/\s+#.*$/, '');
    }
    out[match[1]!] = value;
  }
  return out;
}
