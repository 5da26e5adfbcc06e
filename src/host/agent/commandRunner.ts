// run_command: a shell command in its own process group, with no input, a time limit and an output
// cap (the middle is cut and the cut is marked). Stop and the time limit kill the whole process tree.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { describeError } from '../../core/errorText';

export interface CommandOptions {
  cwd: string;
  timeoutMs: number;
  maxOutputBytes: number;
  signal: AbortSignal;
}

export interface CommandResult {
  exitCode: number | null;
  /** The signal that ended the process, if any. */
  killedBy?: string;
  output: string;
  /** Bytes left out of the middle of the output. */
  cutBytes: number;
  timedOut: boolean;
  stopped: boolean;
  durationMs: number;
}

/** Keeps the first and the last part of a stream within `max` bytes, counting what falls between. */
class HeadTail {
  private head = Buffer.alloc(0);
  private tail: Buffer[] = [];
  private tailBytes = 0;
  dropped = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    const half = Math.floor(this.max / 2);
    if (this.head.length < half) {
      const take = Math.min(half - this.head.length, chunk.length);
      this.head = Buffer.concat([this.head, chunk.subarray(0, take)]);
      chunk = chunk.subarray(take);
    }
    if (chunk.length === 0) {
      return;
    }
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    while (this.tailBytes > this.max - half && this.tail.length > 0) {
      const first = this.tail[0]!;
      const excess = this.tailBytes - (this.max - half);
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
        this.dropped += first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
        this.dropped += excess;
      }
    }
  }

  text(): string {
    const head = this.head.toString('utf8');
    const tail = Buffer.concat(this.tail).toString('utf8');
    return this.dropped > 0 ? `${head}\n[… ${this.dropped} bytes of output cut …]\n${tail}` : head + tail;
  }
}

/** Kills the process group of `child` (and so every process it started). */
function killTree(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined) {
    return;
  }
  try {
    if (process.platform === 'win32') {
      spawnSync('taskkill', ['/pid', String(child.pid), '/T', '/F']);
    } else {
      process.kill(-child.pid, signal);
    }
  } catch {
    // already gone
  }
}

export function runCommand(command: string, options: CommandOptions): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const shell = process.platform === 'win32' ? (process.env.ComSpec ?? 'cmd.exe') : (process.env.SHELL && !process.env.SHELL.endsWith('/fish') ? process.env.SHELL : '/bin/sh');
    const args = process.platform === 'win32' ? ['/d', '/s', '/c', command] : ['-c', command];
    const output = new HeadTail(options.maxOutputBytes);
    let timedOut = false;
    let stopped = false;
    let settled = false;
    let child: ChildProcess;
    try {
      child = spawn(shell, args, {
        cwd: options.cwd,
        // Its own process group, so that Stop reaches the grandchildren too.
        detached: process.platform !== 'win32',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PAGER: 'cat', GIT_PAGER: 'cat', TERM: 'dumb', CI: process.env.CI ?? '1' },
        windowsHide: true,
      });
    } catch (error) {
      resolve({ exitCode: null, output: `Could not start the command: ${describeError(error)}`, cutBytes: 0, timedOut: false, stopped: false, durationMs: 0 });
      return;
    }
    const end = (exitCode: number | null, killedBy?: string) => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      clearTimeout(forceTimer);
      options.signal.removeEventListener('abort', onAbort);
      resolve({ exitCode, killedBy, output: output.text(), cutBytes: output.dropped, timedOut, stopped, durationMs: Date.now() - started });
    };
    let forceTimer: ReturnType<typeof setTimeout> | undefined;
    const terminate = () => {
      killTree(child, 'SIGTERM');
      // Whatever ignores SIGTERM gets SIGKILL shortly after.
      forceTimer = setTimeout(() => killTree(child, 'SIGKILL'), 2000);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      terminate();
    }, options.timeoutMs);
    const onAbort = () => {
      stopped = true;
      terminate();
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    if (options.signal.aborted) {
      onAbort();
    }
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
    child.on('error', (error) => {
      output.push(Buffer.from(`\n${error.message}\n`));
      end(null);
    });
    child.on('close', (code, signal) => end(code, signal ?? undefined));
  });
}

/** What the model reads of a finished command. */
export function describeCommandResult(result: CommandResult, timeoutMs: number): string {
  const status = result.stopped
    ? 'The user stopped the command.'
    : result.timedOut
      ? `The command was stopped after the time limit of ${Math.round(timeoutMs / 1000)} s.`
      : result.exitCode !== null
        ? `Exit code ${result.exitCode}.`
        : `The command ended by signal ${result.killedBy ?? 'unknown'}.`;
  const cut = result.cutBytes > 0 ? ` The output was cut: ${result.cutBytes} bytes from the middle are left out.` : '';
  const body = result.output.trim() === '' ? '(no output)' : result.output;
  return `${status}${cut}\n${body}`;
}
