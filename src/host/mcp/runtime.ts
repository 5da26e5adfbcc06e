// The MCP bundle's entry: everything that needs the MCP SDK. The host loads it on first use
// (src/host/mcp/load.ts), so activation never parses the SDK.
export { McpConnection } from './connection';
export { MissingInputError, inputsUsed, mergeConfigs, parseMcpConfig, parseMcpJson, resolveSpec } from './serverConfig';
