// MCP resources in the `@` picker: the running servers' resources as picker items, and one attached as
// a chip (read from its server when chosen, cut at marathon.context.maxFileBytes like a file).
import { mcpResourceAttachment, type BuiltAttachment } from '../../core/attachments';
import type { ContextItem } from '../../shared/protocol';
import type { McpServerManager } from './manager';

const MAX_ITEMS = 20;
const READ_TIMEOUT_MS = 20_000;

/** What the context service asks of a source of extra picker items. */
export interface ContextItemSource {
  /** Items matching `query` (case-insensitive words), ids starting with `mcp:`. */
  items(query: string): ContextItem[];
  /** Reads the item `rest` (the id after `mcp:`). */
  attach(rest: string, maxBytes: number): Promise<{ ok: true; key: string; built: BuiltAttachment } | { ok: false; message: string }>;
}

export class McpResources implements ContextItemSource {
  constructor(private readonly manager: McpServerManager) {}

  items(query: string): ContextItem[] {
    const words = query.toLowerCase().split(/\s+/).filter((word) => word !== '');
    const items: ContextItem[] = [];
    for (const { server, resources } of this.manager.resources()) {
      for (const resource of resources) {
        const label = `${server}: ${resource.title ?? resource.name}`;
        const haystack = `${label} ${resource.uri}`.toLowerCase();
        if (words.every((word) => haystack.includes(word))) {
          items.push({ id: `mcp:${server}:${resource.uri}`, kind: 'mcpResource', label, detail: resource.description ?? resource.uri });
        }
        if (items.length >= MAX_ITEMS) {
          return items;
        }
      }
    }
    return items;
  }

  async attach(rest: string, maxBytes: number): Promise<{ ok: true; key: string; built: BuiltAttachment } | { ok: false; message: string }> {
    const separator = rest.indexOf(':');
    const server = rest.slice(0, separator);
    const uri = rest.slice(separator + 1);
    const connection = separator > 0 ? this.manager.connection(server) : undefined;
    const listed = this.manager.resources().find((entry) => entry.server === server)?.resources.find((resource) => resource.uri === uri);
    if (!connection || !listed) {
      return { ok: false, message: `The MCP server "${server}" is not running or no longer lists that resource.` };
    }
    try {
      const contents = await connection.readResource(uri, READ_TIMEOUT_MS);
      return { ok: true, key: `mcp:${rest}`, built: mcpResourceAttachment(server, uri, listed.title ?? listed.name, contents, maxBytes) };
    } catch (error) {
      return { ok: false, message: `The MCP server "${server}" could not read ${uri}: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
}
