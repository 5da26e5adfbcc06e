// MCP support, the parts without VS Code: configuration in VS Code's mcp.json format and its variables,
// tool names within the API's rule, input schemas the API accepts, results turned into tool_result content,
// and the SDK client against the real everything server over stdio.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { MissingInputError, inputsUsed, mergeConfigs, parseEnvFile, parseMcpConfig, parseMcpJson, resolveSpec, type StdioSpec } from '../../src/host/mcp/serverConfig';
import { McpConnection } from '../../src/host/mcp/connection';
import { defaultValues, elicitationFields, parseFieldValue } from '../../src/host/mcp/elicitation';
import { MAX_IMAGE_BASE64, convertCallResult } from '../../src/host/mcp/results';
import { API_TOOL_NAME, assignToolNames, baseToolName, sanitizeInputSchema } from '../../src/host/mcp/toolNames';
import { TOOL_NAMES } from '../../src/core/agentTools';

const EVERYTHING = path.join(__dirname, '..', '..', '..', 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');

suite('MCP configuration', () => {
  test('reads VS Code mcp.json with comments, trailing commas, stdio and http servers and inputs', () => {
    const config = parseMcpJson(
      `{
        // a comment
        "inputs": [{ "type": "promptString", "id": "token", "description": "API token", "password": true }],
        "servers": {
          "files": { "type": "stdio", "command": "npx", "args": ["-y", "server", "\${workspaceFolder}"], "env": { "A": "1" } },
          "remote": { "url": "https://example.test/mcp", "headers": { "Authorization": "Bearer \${input:token}" } },
          "old": { "type": "sse", "url": "http://127.0.0.1:1/sse" },
        },
      }`,
      'workspace',
    );
    assert.deepEqual(config.problems, []);
    assert.deepEqual(config.servers.map((s) => [s.name, s.spec.transport]), [['files', 'stdio'], ['remote', 'http'], ['old', 'sse']]);
    assert.equal(config.servers[0]!.runs, 'npx -y server ${workspaceFolder}');
    assert.deepEqual(config.inputs, [{ id: 'token', description: 'API token', password: true, default: undefined }]);
    assert.deepEqual(inputsUsed(config.servers[1]!.spec), ['token']);
  });

  test('says what is wrong and keeps the valid servers', () => {
    const config = parseMcpConfig({ servers: { good: { command: 'x' }, nocommand: { type: 'stdio' }, weird: { type: 'ws', url: 'x' }, 'bad/name': { command: 'x' } } }, 'user');
    assert.deepEqual(config.servers.map((s) => s.name), ['good']);
    assert.equal(config.problems.length, 3);
    assert.match(config.problems.join('\n'), /servers\.nocommand\.command is required/);
    assert.match(config.problems.join('\n'), /"ws" is not one of/);
  });

  test('a broken file starts nothing and names the line', () => {
    const config = parseMcpJson('{\n "servers": { "a": { "command": "x" }\n', 'workspace');
    assert.equal(config.servers.length, 0);
    assert.match(config.problems[0]!, /line \d/);
  });

  test('a change of command changes the fingerprint, so trust must be given again', () => {
    const a = parseMcpConfig({ servers: { s: { command: 'node', args: ['a.js'] } } }, 'workspace').servers[0]!;
    const b = parseMcpConfig({ servers: { s: { command: 'node', args: ['b.js'] } } }, 'workspace').servers[0]!;
    const a2 = parseMcpConfig({ servers: { s: { command: 'node', args: ['a.js'] } } }, 'workspace').servers[0]!;
    assert.notEqual(a.fingerprint, b.fingerprint);
    assert.equal(a.fingerprint, a2.fingerprint);
  });

  test('a workspace server replaces a user server of the same name, and says so', () => {
    const user = parseMcpConfig({ servers: { s: { command: 'user' }, u: { command: 'u' } } }, 'user');
    const ws = parseMcpConfig({ servers: { s: { command: 'ws' } } }, 'workspace');
    const merged = mergeConfigs(user, ws);
    assert.deepEqual(merged.servers.map((s) => [s.name, s.source]), [['u', 'user'], ['s', 'workspace']]);
    assert.match(merged.problems.join(), /replaces/);
  });

  test('variables resolve; a missing input stops the start with its id', async () => {
    const spec = parseMcpConfig({ servers: { s: { command: '${userHome}/bin/x', args: ['${workspaceFolder}', '${env:MARATHON_T}', '${input:k}'], env: { K: '${input:k}', DROP: null } } } }, 'user').servers[0]!.spec;
    const resolved = (await resolveSpec(spec, { workspaceFolder: '/ws', userHome: '/home/u', env: { MARATHON_T: 'e' }, input: async () => 'secret' })) as StdioSpec;
    assert.equal(resolved.command, '/home/u/bin/x');
    assert.deepEqual(resolved.args, ['/ws', 'e', 'secret']);
    assert.deepEqual(resolved.env, { K: 'secret', DROP: null });
    assert.equal(resolved.cwd, '/ws');
    await assert.rejects(resolveSpec(spec, { workspaceFolder: '/ws', userHome: '/h', env: {}, input: async () => undefined }), (error) => error instanceof MissingInputError && error.inputId === 'k');
    await assert.rejects(resolveSpec({ transport: 'http', url: '${command:x}', headers: {} }, { userHome: '/h', env: {}, input: async () => '' }), /not supported/);
  });

  test('env files: comments, export, quotes', () => {
    assert.deepEqual(parseEnvFile('# c\nexport A=1\nB="two words"\nC=\'x\' \nD=3 # note\nnot a line\n'), { A: '1', B: 'two words', C: 'x', D: '3' });
  });
});

suite('MCP tool names and schemas', () => {
  test('names follow server__tool within the API rule, and never collide', () => {
    const long = 'a'.repeat(80);
    const offered = assignToolNames(
      [
        { server: 'my server', tools: [{ name: 'get.thing', inputSchema: {} }, { name: long, inputSchema: {} }, { name: `${long}b`, inputSchema: {} }] },
        { server: 'my_server', tools: [{ name: 'get.thing', inputSchema: {} }] },
        { server: 'read', tools: [{ name: 'file', inputSchema: {} }] },
      ],
      TOOL_NAMES,
    );
    const names = offered.map((tool) => tool.apiName);
    assert.equal(names[0], 'my_server__get_thing');
    assert.ok(names.every((name) => API_TOOL_NAME.test(name)), names.join());
    assert.equal(new Set(names).size, names.length);
    assert.notEqual(names[1], names[2]);
    assert.match(names[3]!, /^my_server__get_thing_[0-9a-f]{8}$/);
    assert.ok(names.every((name) => !(TOOL_NAMES as readonly string[]).includes(name)));
    assert.equal(offered[3]!.server, 'my_server');
    assert.equal(offered[3]!.tool, 'get.thing');
  });

  test('the same tools always get the same names', () => {
    const servers = [{ server: 'x', tools: [{ name: 't', inputSchema: {} }] }];
    assert.deepEqual(assignToolNames(servers, []), assignToolNames(servers, []));
    assert.equal(baseToolName('x', 't'), 'x__t');
  });

  test('schemas: object at the top, no top-level composition, nested parts kept', () => {
    const schema = sanitizeInputSchema({ $schema: 'http://json-schema.org/draft-07/schema#', anyOf: [{ required: ['a'] }], properties: { a: { oneOf: [{ type: 'string' }, { type: 'number' }] } }, required: 'a' });
    assert.deepEqual(schema, { type: 'object', $schema: 'http://json-schema.org/draft-07/schema#', properties: { a: { oneOf: [{ type: 'string' }, { type: 'number' }] } } });
    assert.deepEqual(sanitizeInputSchema(undefined), { type: 'object', properties: {} });
    assert.deepEqual(sanitizeInputSchema({ type: 'array' }), { type: 'object', properties: {} });
  });
});

suite('MCP results', () => {
  test('text only becomes a string; images become image blocks; resources become text', () => {
    assert.deepEqual(convertCallResult({ content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }, 1000), { content: 'a\nb', isError: false, cut: false });
    const mixed = convertCallResult(
      {
        content: [
          { type: 'text', text: 'see' },
          { type: 'image', data: 'iVBORw0K', mimeType: 'image/png' },
          { type: 'resource', resource: { uri: 'demo://r/1', mimeType: 'text/plain', text: 'body' } },
          { type: 'resource_link', uri: 'demo://r/2', name: 'two' },
          { type: 'image', data: 'AAAA', mimeType: 'image/bmp' },
        ],
      },
      1000,
    );
    assert.deepEqual(mixed.content, [
      { type: 'text', text: 'see' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0K' } },
      { type: 'text', text: '[resource demo://r/1 (text/plain)]\nbody\n[resource link: demo://r/2 (two)]\n[image: an image of type image/bmp, which the model cannot read, was left out]' },
    ]);
  });

  test('isError is kept; empty results say so; structured content is used when there is no content', () => {
    assert.deepEqual(convertCallResult({ content: [{ type: 'text', text: 'bad' }], isError: true }, 1000), { content: 'bad', isError: true, cut: false });
    assert.equal(convertCallResult({ content: [] }, 1000).content, '(no output)');
    assert.equal(convertCallResult({ structuredContent: { t: 1 } }, 1000).content, '{\n  "t": 1\n}');
  });

  test('text over the cap is cut with a marker saying how much went', () => {
    const result = convertCallResult({ content: [{ type: 'text', text: 'x'.repeat(5000) }, { type: 'text', text: 'y'.repeat(5000) }] }, 2048);
    assert.equal(result.cut, true);
    assert.equal(typeof result.content, 'string');
    const text = result.content as string;
    assert.ok(text.startsWith('x'.repeat(2048)));
    assert.ok(!text.includes('yyy'));
    assert.match(text, /result cut: 7\.8 KB of 9\.8 KB left out \(over marathon\.mcp\.maxResultBytes\)/);
    assert.ok(Buffer.byteLength(text) < 2048 + 200);
  });

  test('an image over the API limit is left out with a note', () => {
    const result = convertCallResult({ content: [{ type: 'image', data: 'A'.repeat(MAX_IMAGE_BASE64 + 4), mimeType: 'image/png' }] }, 1000);
    assert.match(result.content as string, /over the 5 MB/);
  });
});

suite('MCP elicitation', () => {
  const schema = {
    type: 'object',
    properties: {
      name: { type: 'string', title: 'Name', default: 'John Doe' },
      age: { type: 'integer', default: 30 },
      status: { type: 'string', enum: ['active', 'inactive'], default: 'active' },
      verified: { type: 'boolean', default: true },
      note: { type: 'string' },
    },
    required: ['name'],
  };

  test('fields carry their type, options and defaults; accepting the pre-filled form gives the defaults', () => {
    const fields = elicitationFields(schema);
    assert.deepEqual(fields.map((field) => [field.name, field.type, field.required]), [['name', 'string', true], ['age', 'integer', false], ['status', 'string', false], ['verified', 'boolean', false], ['note', 'string', false]]);
    assert.deepEqual(fields[2]!.options, ['active', 'inactive']);
    assert.deepEqual(defaultValues(fields), { name: 'John Doe', age: 30, status: 'active', verified: true });
  });

  test("the user's text is checked into the field's type", () => {
    const [name, age, status, verified, note] = elicitationFields(schema);
    assert.deepEqual(parseFieldValue(age!, '41'), { ok: true, value: 41 });
    assert.equal(parseFieldValue(age!, '4.5').ok, false);
    assert.equal(parseFieldValue(status!, 'gone').ok, false);
    assert.deepEqual(parseFieldValue(verified!, 'no'), { ok: true, value: false });
    assert.equal(parseFieldValue(name!, ' ').ok, false);
    assert.deepEqual(parseFieldValue(note!, ''), { ok: true, value: undefined });
  });
});

suite('The MCP bundle (dist/mcp.js, loaded on first use)', () => {
  test('loads on its own and parses a configuration (every dependency is bundled)', async () => {
    // esbuild.js builds it before the unit tests run; a dependency left to run-time require fails here.
    const runtime = (await import(path.join(__dirname, '..', '..', '..', 'dist', 'mcp.js'))) as typeof import('../../src/host/mcp/runtime');
    const config = runtime.parseMcpJson('{ "servers": { "a": { "command": "x" } }, }', 'workspace');
    assert.deepEqual(config.servers.map((server) => server.name), ['a']);
    assert.equal(typeof runtime.McpConnection.connect, 'function');
  });
});

suite('MCP client (official SDK) against the everything server over stdio', function () {
  this.timeout(60_000);
  let connection: McpConnection;
  const stderr: string[] = [];
  let closed: string | undefined;

  suiteSetup(async () => {
    connection = await McpConnection.connect({
      spec: { transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'], env: { MARATHON_MCP_TEST: 'yes' } },
      clientName: 'marathon-test',
      clientVersion: '0.0.0',
      onStderr: (line) => stderr.push(line),
      onClosed: (reason) => (closed = reason),
    });
  });

  suiteTeardown(async () => {
    await connection?.close();
  });

  test('lists tools, resources and prompts, and reads the server stderr', async () => {
    const tools = await connection.listTools();
    assert.ok(tools.some((tool) => tool.name === 'get-sum'));
    assert.ok((await connection.listResources()).length > 0);
    assert.ok((await connection.listPrompts()).some((prompt) => prompt.name === 'args-prompt'));
    assert.ok(stderr.some((line) => /STDIO/i.test(line)), stderr.join('\n'));
    assert.ok(typeof connection.pid === 'number');
  });

  test('calls a tool; env of the definition reaches the server', async () => {
    const sum = convertCallResult(await connection.callTool('get-sum', { a: 2, b: 3 }, { timeoutMs: 10_000 }), 10_000);
    assert.match(sum.content as string, /5/);
    const env = convertCallResult(await connection.callTool('get-env', {}, { timeoutMs: 10_000 }), 100_000);
    assert.match(env.content as string, /MARATHON_MCP_TEST/);
  });

  test('an image result becomes an image block', async () => {
    const image = convertCallResult(await connection.callTool('get-tiny-image', {}, { timeoutMs: 10_000 }), 10_000);
    assert.ok(Array.isArray(image.content));
    assert.ok((image.content as Array<{ type: string }>).some((block) => block.type === 'image'));
  });

  test('a call that takes too long is cancelled at the timeout', async () => {
    await assert.rejects(connection.callTool('trigger-long-running-operation', { duration: 10, steps: 2 }, { timeoutMs: 300 }), (error: { code?: number }) => error.code === -32001);
    assert.equal(closed, undefined);
  });
});
