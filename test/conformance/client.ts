// Marathon's MCP client as a command for `conformance client --command "node out/test/conformance/client.js"`:
// the conformance runner appends the server URL and names the scenario in MCP_CONFORMANCE_SCENARIO. It
// runs what Marathon does with a server: connect (streamable HTTP), list the tools and offer them under
// their API names, call them, and turn the results into tool_result content.
import { McpConnection } from '../../src/host/mcp/connection';
import { defaultValues, elicitationFields } from '../../src/host/mcp/elicitation';
import { convertCallResult } from '../../src/host/mcp/results';
import { assignToolNames } from '../../src/host/mcp/toolNames';

/** Sample arguments from a tool's input schema, as a model would fill them in. */
function sampleArguments(schema: unknown): Record<string, unknown> {
  const properties = (schema as { properties?: Record<string, { type?: string; default?: unknown; enum?: unknown[] }> })?.properties ?? {};
  const args: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(properties)) {
    if (property.default !== undefined) {
      args[key] = property.default;
    } else if (Array.isArray(property.enum) && property.enum.length > 0) {
      args[key] = property.enum[0];
    } else if (property.type === 'number' || property.type === 'integer') {
      args[key] = 1;
    } else if (property.type === 'boolean') {
      args[key] = true;
    } else if (property.type === 'string') {
      args[key] = 'test';
    }
  }
  return args;
}

async function main(): Promise<void> {
  const url = process.argv[process.argv.length - 1];
  if (!url || !/^https?:/.test(url)) {
    throw new Error('Usage: client.js <server URL> (with MCP_CONFORMANCE_SCENARIO set)');
  }
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? 'initialize';
  const connection = await McpConnection.connect({
    spec: { transport: 'http', url, headers: {} },
    clientName: 'marathon',
    clientVersion: '0.1.0',
    // Marathon's elicitation form pre-fills each field with its default; here the user accepts it as it is.
    elicit: async (request) => ({ action: 'accept', content: defaultValues(elicitationFields('requestedSchema' in request ? request.requestedSchema : undefined)) }),
  });
  try {
    const tools = await connection.listTools();
    const offered = assignToolNames([{ server: 'conformance', tools }], []);
    console.log(`scenario ${scenario}: ${offered.length} tool(s): ${offered.map((tool) => tool.apiName).join(', ')}`);
    if (scenario !== 'initialize') {
      for (const tool of offered) {
        const info = tools.find((candidate) => candidate.name === tool.tool);
        const result = convertCallResult(await connection.callTool(tool.tool, sampleArguments(info?.inputSchema), { timeoutMs: 20_000 }), 64 * 1024);
        console.log(`${tool.apiName}: ${result.isError ? 'error' : 'ok'} ${typeof result.content === 'string' ? result.content.slice(0, 200) : `${result.content.length} block(s)`}`);
      }
    }
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
