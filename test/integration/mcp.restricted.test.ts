// MCP servers in Restricted Mode, in the untrusted window of `npm test` (stage "restricted"): the
// servers of the workspace's .vscode/mcp.json never start and nobody is asked to trust them; the user's
// own servers (marathon.mcp.servers) run and their tools are offered.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MarathonApi } from '../../src/extension';
import { marathon, setConfig } from './helpers';

const untrusted = process.env.MARATHON_EXPECT_UNTRUSTED === '1';
const EVERYTHING = path.resolve(__dirname, '..', '..', '..', 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');

// Registered only in the untrusted window, so the trusted run neither runs nor counts it.
if (untrusted) {
  suite('Untrusted workspace (Restricted Mode): MCP servers', function () {
    this.timeout(90_000);
    let api: MarathonApi;
    const mcpJson = (): string => path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, '.vscode', 'mcp.json');

    suiteSetup(async () => {
      api = await marathon();
    });

    suiteTeardown(async () => {
      fs.rmSync(path.dirname(mcpJson()), { recursive: true, force: true });
      await setConfig('mcp.servers', undefined);
      await api.mcp.manager.reload();
    });

    test("the workspace's servers never start and no trust is asked; the user's own servers run", async () => {
      assert.equal(vscode.workspace.isTrusted, false, 'this window is in Restricted Mode');
      const manager = api.mcp.manager;
      let asked = 0;
      manager.ask = {
        ...manager.ask,
        confirmTrust: async () => {
          asked++;
          return true;
        },
        askInput: async () => undefined,
      };
      const server = { type: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] };
      fs.mkdirSync(path.dirname(mcpJson()), { recursive: true });
      fs.writeFileSync(mcpJson(), JSON.stringify({ servers: { fromWorkspace: server } }));
      await setConfig('mcp.servers', { servers: { mine: server } });
      await manager.reload();
      const deadline = Date.now() + 30_000;
      while (manager.state('mine')?.kind !== 'running' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(manager.state('mine')?.kind, 'running', JSON.stringify(manager.servers()));
      const held = manager.state('fromWorkspace');
      assert.ok(held?.kind === 'stopped' && /Restricted Mode/.test(held.reason), JSON.stringify(held));
      assert.equal(manager.connection('fromWorkspace'), undefined);
      assert.equal(asked, 0, 'no trust prompt in Restricted Mode');
      const offered = api.mcp.tools.offered().map((tool) => tool.apiName);
      assert.ok(offered.includes('mine__echo'), offered.join());
      assert.ok(!offered.some((name) => name.startsWith('fromWorkspace__')));
    });
  });
}
