// `node out/test/emulator/cli.js [--port N] [--token-multiplier X] [--chunk-delay-ms N] [--idle-shutdown-ms N]
//   [--context-window N] [--log]` — prints exactly one line (the URL) to stdout; the log goes to stderr.

import type { EmulatorOptions } from './server';
import { startEmulator } from './server';

const NUMERIC_FLAGS: Record<string, 'port' | 'tokenMultiplier' | 'chunkDelayMs' | 'idleShutdownMs' | 'contextWindow'> = {
  '--port': 'port',
  '--token-multiplier': 'tokenMultiplier',
  '--chunk-delay-ms': 'chunkDelayMs',
  '--idle-shutdown-ms': 'idleShutdownMs',
  '--context-window': 'contextWindow',
};

function parseArgs(argv: string[]): EmulatorOptions {
  const envPort = process.env['MARATHON_EMULATOR_PORT'];
  const opts: EmulatorOptions = envPort ? { port: Number(envPort) } : {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    if (flag === '--log') {
      opts.log = (line) => process.stderr.write(`${line}\n`);
      continue;
    }
    const key = NUMERIC_FLAGS[flag];
    const value = Number(argv[++i]);
    if (!key || !Number.isFinite(value)) {throw new Error(`Unknown flag or bad value: ${flag} ${argv[i] ?? ''}`);}
    opts[key] = value;
  }
  return opts;
}

async function main(): Promise<void> {
  const handle = await startEmulator(parseArgs(process.argv.slice(2)));
  process.stdout.write(`Marathon emulator listening on ${handle.url}\n`);
  const stop = (): void => {
    void handle.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
