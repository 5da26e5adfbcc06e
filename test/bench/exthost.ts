// Loaded through `extensionTestsPath` in a fresh extension host: times Marathon's activation there
// (loading the bundle and running activate()) and writes the figure to MARATHON_BENCH_OUT.
import * as fs from 'node:fs';
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
    const previous = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as { activationMs: number[]; totalMs: number[] }) : { activationMs: [], totalMs: [] };
    // activate() itself, and everything the extension host does around it (loading the bundle, the context).
    previous.activationMs.push(api.activationMs);
    previous.totalMs.push(totalMs);
    fs.writeFileSync(out, JSON.stringify(previous));
  }
}
