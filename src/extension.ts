// Composition root: builds the host objects and registers them. Nothing heavy happens here; the
// store and the SDK load on first use.
import * as vscode from 'vscode';
import { AgentMode } from './host/agent/agentMode';
import { ApiKeyStore } from './host/apiKey';
import { ProposalManager } from './host/apply';
import { CHAT_PANEL_TYPE, ChatPanelManager } from './host/chatPanel';
import { CHAT_VIEW_ID, ChatViewProvider } from './host/chatViewProvider';
import { registerCommands, registerViewCommands } from './host/paletteCommands';
import { ChatController } from './host/controller';
import { MarathonCodeActions } from './host/context/codeActions';
import { registerContextCommands } from './host/context/contextCommands';
import { ContextService } from './host/context/service';
import { TerminalRecorder } from './host/context/terminal';
import { readSettings } from './host/config';
import { channelLogger } from './host/logger';
import { McpService } from './host/mcp';
import { ProviderService } from './host/backend/providers';
import { registerProviderCommands } from './host/selectProvider';

/** What the extension returns from `activate`, used by the integration tests. */
export interface MarathonApi {
  readonly controller: ChatController;
  readonly proposals: ProposalManager;
  /** Where Marathon writes (conversation files, storage, its log); the reliability and secret tests read them. */
  readonly paths: MarathonPaths;
  readonly context: ContextService;
  readonly agent: AgentMode;
  /** MCP servers and their tools. */
  readonly mcp: McpService;
  /** How long the activate() call took, in milliseconds (for `npm run bench`). */
  readonly activationMs: number;
}

export function activate(context: vscode.ExtensionContext): MarathonApi {
  const started = performance.now();
  const channel = vscode.window.createOutputChannel('Marathon', { log: true });
  const logger = channelLogger(channel);
  const keys = new ApiKeyStore(context.secrets);
  const proposals = new ProposalManager({ logger });
  const terminal = new TerminalRecorder();
  const mcp = new McpService({ logger, secrets: context.secrets, memento: context.workspaceState, clientVersion: (context.extension.packageJSON as { version?: string }).version ?? '0.0.0' });
  const workspaceContext = new ContextService({
    state: context.workspaceState,
    logger,
    maxFileBytes: () => readSettings().settings.maxFileBytes,
    terminal,
    extra: mcp.promptBox,
  });
  const agent = new AgentMode({ logger, proposals, storagePath: (context.storageUri ?? context.globalStorageUri).fsPath, mcp: mcp.tools });
  const providers = new ProviderService(context.secrets, logger);
  const controller = new ChatController(context, keys, logger, proposals, workspaceContext, agent, providers);
  const provider = new ChatViewProvider(context.extensionUri, controller, logger);
  const panels = new ChatPanelManager(context.extensionUri, controller, logger);
  context.subscriptions.push(
    channel,
    keys,
    providers,
    proposals,
    mcp,
    agent,
    controller,
    panels,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, provider),
    vscode.window.registerWebviewPanelSerializer(CHAT_PANEL_TYPE, panels),
    ...registerCommands(controller, keys, channel, logger),
    ...registerViewCommands(panels, proposals),
    ...registerProviderCommands(providers, logger),
    terminal,
    workspaceContext,
    ...registerContextCommands(controller, workspaceContext, logger),
    ...mcp.registerCommands(),
    // Registration only: the provider computes its actions from what VS Code passes in, with no I/O.
    vscode.languages.registerCodeActionsProvider([{ scheme: 'file' }, { scheme: 'untitled' }], new MarathonCodeActions(), MarathonCodeActions.metadata),
  );
  controller.reportSettingsProblems();
  mcp.startSoon();
  return { controller, proposals, context: workspaceContext, agent, mcp, paths: marathonPaths(context), activationMs: performance.now() - started };
}

export interface MarathonPaths {
  readonly conversations: string;
  readonly storage: string;
  readonly globalStorage: string;
  readonly logs: string;
}

function marathonPaths(context: vscode.ExtensionContext): MarathonPaths {
  // The folder the controller's store uses.
  const base = context.storageUri ?? context.globalStorageUri;
  return {
    conversations: vscode.Uri.joinPath(base, 'conversations').fsPath,
    storage: base.fsPath,
    globalStorage: context.globalStorageUri.fsPath,
    logs: context.logUri.fsPath,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
