// MCP support as the composition root sees it: the server manager, the tools it offers Agent mode, and
// the `Marathon: MCP Servers` command. Building it is cheap; servers start after activation, off its path.
import * as vscode from 'vscode';
import type { Logger } from '../../core/ports';
import { McpServerManager, type McpManagerDeps } from './manager';
import { McpPromptBox } from './promptBox';
import { showServersPick } from './serversPick';
import { McpTools } from './mcpTools';

export class McpService implements vscode.Disposable {
  readonly manager: McpServerManager;
  readonly tools: McpTools;
  /** The servers' resources (the `@` picker) and prompts (`/` commands). */
  readonly promptBox: McpPromptBox;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(deps: McpManagerDeps & { logger: Logger }) {
    this.manager = new McpServerManager(deps);
    this.tools = new McpTools(this.manager, deps.logger);
    this.promptBox = new McpPromptBox(this.manager);
  }

  /** Starts the servers once activation has returned. */
  startSoon(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.manager.start();
    }, 0);
  }

  registerCommands(): vscode.Disposable[] {
    return [vscode.commands.registerCommand('marathon.mcpServers', () => showServersPick(this.manager))];
  }

  dispose(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
    }
    this.manager.dispose();
  }
}
