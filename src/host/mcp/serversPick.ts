// `Marathon: MCP Servers`: a quick pick of the servers with their state, then what can be done with
// the chosen one (start or restart, stop, trust and start, show its log).
import * as vscode from 'vscode';
import type { McpServerManager, ServerSnapshot, ServerState } from './manager';

function stateLabel(state: ServerState): string {
  switch (state.kind) {
    case 'starting':
      return 'Starting…';
    case 'running':
      return `Running · ${state.tools} tool${state.tools === 1 ? '' : 's'}`;
    case 'failed':
      return `Failed: ${state.reason}`;
    case 'stopped':
      return `Stopped: ${state.reason}`;
    case 'untrusted':
      return 'Not started: waiting for your trust';
  }
}

const STATE_ICONS: Record<ServerState['kind'], string> = {
  starting: '$(loading~spin)',
  running: '$(pass-filled)',
  failed: '$(error)',
  stopped: '$(circle-slash)',
  untrusted: '$(shield)',
};

interface ServerItem extends vscode.QuickPickItem {
  server: ServerSnapshot;
}

interface ActionItem extends vscode.QuickPickItem {
  action: 'restart' | 'stop' | 'log' | 'trust' | 'forget';
}

function detailOf(server: ServerSnapshot): string {
  const stderr = server.state.kind === 'failed' && server.state.stderr.length > 0 ? ` — stderr: ${server.state.stderr.slice(-3).join(' ⏎ ')}` : '';
  return `${server.source === 'workspace' ? '.vscode/mcp.json' : 'marathon.mcp.servers'} · ${server.runs}${stderr}`;
}

export async function showServersPick(manager: McpServerManager): Promise<void> {
  await manager.start();
  const pick = vscode.window.createQuickPick<ServerItem>();
  pick.title = 'Marathon: MCP Servers';
  pick.placeholder = 'Choose a server to restart, stop or see its log';
  pick.matchOnDetail = true;
  const refresh = () => {
    const servers = manager.servers();
    pick.items = servers.map((server) => ({ label: `${STATE_ICONS[server.state.kind]} ${server.name}`, description: stateLabel(server.state), detail: detailOf(server), server }));
    if (servers.length === 0) {
      pick.placeholder = 'No MCP servers: add them to .vscode/mcp.json or the marathon.mcp.servers setting';
    }
  };
  refresh();
  const listener = manager.onDidChange(refresh);
  const chosen = await new Promise<ServerSnapshot | undefined>((resolve) => {
    pick.onDidAccept(() => {
      resolve(pick.selectedItems[0]?.server);
      pick.hide();
    });
    pick.onDidHide(() => resolve(undefined));
    pick.show();
  });
  listener.dispose();
  pick.dispose();
  if (!chosen) {
    return;
  }
  const running = chosen.state.kind === 'running' || chosen.state.kind === 'starting';
  const actions: ActionItem[] = [
    chosen.state.kind === 'untrusted'
      ? { label: '$(shield) Trust and Start', description: chosen.runs, action: 'trust' }
      : { label: running ? '$(debug-restart) Restart' : '$(play) Start', action: 'restart' },
    ...(running ? [{ label: '$(debug-stop) Stop', action: 'stop' as const }] : []),
    { label: '$(output) Show Log', action: 'log' },
    { label: '$(key) Forget Stored Inputs', description: 'ask again for the values of its inputs', action: 'forget' },
  ];
  const action = await vscode.window.showQuickPick(actions, { title: `MCP server ${chosen.name}`, placeHolder: stateLabel(chosen.state) });
  switch (action?.action) {
    case 'restart':
    case 'trust':
      await manager.restart(chosen.name);
      return;
    case 'stop':
      await manager.stop(chosen.name);
      return;
    case 'log':
      manager.showLog(chosen.name);
      return;
    case 'forget':
      await manager.forgetInputs(chosen.name);
      return;
    case undefined:
      return;
  }
}
