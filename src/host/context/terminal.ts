// Keeps the last command of each terminal and the end of its output, through shell integration, so
// that "Terminal" in the @ picker can attach it. Output stays in memory only, is bounded, and is sent
// only when the user attaches it. Subscribing is cheap; output is read only while a command runs.
import * as vscode from 'vscode';
import { Disposable } from '../disposable';
import { stripAnsi, tailText, type TerminalCommand } from '../../core/attachments';

/** Characters of output kept per command: the end, where results and errors are. */
const MAX_OUTPUT_CHARS = 64 * 1024;

export class TerminalRecorder extends Disposable {
  private readonly last = new Map<vscode.Terminal, TerminalCommand>();
  private readonly running = new Map<vscode.TerminalShellExecution, { chunks: string[]; size: number; done: Promise<void> }>();
  private newest: vscode.Terminal | undefined;

  constructor() {
    super();
    this._register(vscode.window.onDidStartTerminalShellExecution((event) => this.onStart(event.execution)));
    this._register(vscode.window.onDidEndTerminalShellExecution((event) => void this.onEnd(event)));
    this._register(
      vscode.window.onDidCloseTerminal((terminal) => {
        this.last.delete(terminal);
        if (this.newest === terminal) {
          this.newest = undefined;
        }
      }),
    );
  }

  /** The active terminal's last finished command, else the newest one of any terminal. */
  lastCommand(): TerminalCommand | undefined {
    const active = vscode.window.activeTerminal;
    return (active && this.last.get(active)) ?? (this.newest && this.last.get(this.newest));
  }

  private onStart(execution: vscode.TerminalShellExecution): void {
    const record = { chunks: [] as string[], size: 0, done: Promise.resolve() };
    // `read` must be called at once, or the first output is missed.
    const stream = execution.read();
    record.done = (async () => {
      for await (const data of stream) {
        record.chunks.push(data);
        record.size += data.length;
        // Keep memory bounded on chatty commands: drop the oldest chunks beyond twice the cap.
        while (record.size > MAX_OUTPUT_CHARS * 2 && record.chunks.length > 1) {
          record.size -= record.chunks.shift()?.length ?? 0;
        }
      }
    })().catch(() => undefined);
    this.running.set(execution, record);
  }

  private async onEnd(event: vscode.TerminalShellExecutionEndEvent): Promise<void> {
    const record = this.running.get(event.execution);
    this.running.delete(event.execution);
    await record?.done;
    const raw = stripAnsi((record?.chunks ?? []).join('')).replace(/\r\n/g, '\n').replace(/\r/g, '\n');
    const { text, truncated } = tailText(raw.trimEnd(), MAX_OUTPUT_CHARS);
    this.last.set(event.terminal, {
      terminal: event.terminal.name,
      command: event.execution.commandLine.value,
      cwd: event.execution.cwd?.fsPath,
      exitCode: event.exitCode,
      output: text,
      truncated: truncated || (record?.size ?? 0) > MAX_OUTPUT_CHARS * 2,
    });
    this.newest = event.terminal;
  }
}
