// Loaded through `extensionTestsPath` in a fresh extension host: times Marathon's activation there
// (loading the bundle and running activate()) with the workspace's `marathon.provider`, notes which of
// Marathon's lazily loaded bundles activation loaded (none should be), and writes it to MARATHON_BENCH_OUT.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MarathonApi } from '../../src/extension';

export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension<MarathonApi>('marathon-dev.marathon');
  if (!extension) {
    throw new Error('Marathon is not installed in this extension host');
  }
  if (extension.isActive) {
    throw new Error('Marathon was already active; the figure would be meaningless');
  }
  const started = performance.now();
  const api = await extension.activate();
  const totalMs = performance.now() - started;
  const out = process.env.MARATHON_BENCH_OUT;
  if (out) {
    type Figures = { activationMs: number[]; totalMs: number[]; byProvider?: Record<string, { activationMs: number[]; totalMs: number[]; lazyLoaded: string[] }> };
    const previous = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as Figures) : { activationMs: [], totalMs: [] };
    // activate() itself, and everything the extension host does around it (loading the bundle, the context).
    previous.activationMs.push(api.activationMs);
    previous.totalMs.push(totalMs);
    const provider = vscode.workspace.getConfiguration('marathon').get<string>('provider', 'anthropic');
    const dist = path.join(extension.extensionPath, 'dist');
    const lazy = Object.keys(require.cache)
      .filter((file) => path.dirname(file) === dist && path.basename(file) !== 'extension.js')
      .map((file) => path.basename(file, '.js'));
    const entry = (previous.byProvider ??= {})[provider] ?? { activationMs: [], totalMs: [], lazyLoaded: [] };
    entry.activationMs.push(api.activationMs);
    entry.totalMs.push(totalMs);
    entry.lazyLoaded = [...new Set([...entry.lazyLoaded, ...lazy])];
    previous.byProvider[provider] = entry;
    fs.writeFileSync(out, JSON.stringify(previous));
  }
}
