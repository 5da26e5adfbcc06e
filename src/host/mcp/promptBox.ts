// MCP in the prompt box: the running servers' resources in the `@` picker (one attached is read from its
// server when chosen and cut at marathon.context.maxFileBytes like a file), and their prompts as `/`
// commands (the arguments are asked for, and the prompt's text fills the prompt box).
import * as vscode from 'vscode';
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
  /** `/` commands matching `query` (without its slash), ids starting with `prompt:`. */
  commands(query: string): ContextItem[];
  /** Runs the command `rest` (the id after `prompt:`): asks for its arguments, returns the prompt's text. */
  runCommand(rest: string): Promise<{ ok: true; text: string } | { ok: false; message: string }>;
}

export class McpPromptBox implements ContextItemSource {
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

  commands(query: string): ContextItem[] {
    const wanted = query.toLowerCase();
    const items: ContextItem[] = [];
    for (const { server, prompts } of this.manager.prompts()) {
      for (const prompt of prompts) {
        const command = `/${server}.${prompt.name}`;
        if (command.toLowerCase().includes(wanted)) {
          const args = prompt.arguments.map((arg) => (arg.required ? arg.name : `[${arg.name}]`)).join(' ');
          items.push({ id: `prompt:${server}:${prompt.name}`, kind: 'mcpPrompt', label: command, detail: [prompt.title ?? prompt.description, args].filter(Boolean).join(' · ') || `prompt of ${server}` });
        }
      }
    }
    return items.slice(0, MAX_ITEMS);
  }

  async runCommand(rest: string): Promise<{ ok: true; text: string } | { ok: false; message: string }> {
    const separator = rest.indexOf(':');
    const server = rest.slice(0, separator);
    const name = rest.slice(separator + 1);
    const connection = separator > 0 ? this.manager.connection(server) : undefined;
    const prompt = this.manager.prompts().find((entry) => entry.server === server)?.prompts.find((candidate) => candidate.name === name);
    if (!connection || !prompt) {
      return { ok: false, message: `The MCP server "${server}" is not running or no longer offers /${server}.${name}.` };
    }
    const args: Record<string, string> = {};
    for (const arg of prompt.arguments) {
      const value = await this.ask({ command: `/${server}.${name}`, name: arg.name, description: arg.description, required: arg.required });
      if (value === undefined) {
        return { ok: false, message: `/${server}.${name} was cancelled.` };
      }
      if (value !== '') {
        args[arg.name] = value;
      }
    }
    try {
      const messages = await connection.getPrompt(name, args, READ_TIMEOUT_MS);
      const text = messages.map((message) => message.text).filter((part) => part.trim() !== '').join('\n\n');
      return text === '' ? { ok: false, message: `/${server}.${name} returned no text.` } : { ok: true, text };
    } catch (error) {
      return { ok: false, message: `The MCP server "${server}" could not give /${name}: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  /** Asks for one argument of a prompt; tests replace it. */
  ask: (argument: { command: string; name: string; description?: string; required: boolean }) => Promise<string | undefined> = (argument) =>
    Promise.resolve(
      vscode.window.showInputBox({
        title: argument.command,
        prompt: `${argument.name}${argument.description ? `: ${argument.description}` : ''}${argument.required ? '' : ' (optional)'}`,
        ignoreFocusOut: true,
        validateInput: (value) => (argument.required && value.trim() === '' ? `${argument.name} is required.` : undefined),
      }),
    );

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
