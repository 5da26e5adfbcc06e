// Crash safety: a child process runs the real engine and JSONL store (crashDriver.ts) against the
// emulator and is killed with SIGKILL at seeded random moments, 100 times, on the same folder. After
// every kill the folder is checked as a new window would find it: every conversation reopens, every
// record that had reached the file is still there, in order, at most the record being written is
// missing, and the index is rebuilt to match the files. (Real SIGKILLs of the VS Code extension host are
// in test/e2e/crash.e2e.ts; doing 100 of those would take far too long for CI.)
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Logger } from '../../src/core/ports';
import { isConversationRecord, type ConversationRecord } from '../../src/core/records';
import { ConversationSession, type SessionSettings } from '../../src/core/session';
import { JsonlConversationStore } from '../../src/core/store';
import { startEmulator, type EmulatorHandle } from '../emulator/server';
import { recordKey } from './crashDriver';
import { seededRandom } from './random';
import { testSettings } from '../fixtures/settings';

const KILLS = Number(process.env.MARATHON_CRASH_KILLS) || 100;
const SEED = Number(process.env.MARATHON_CRASH_SEED) || 20261126;
const DRIVER = path.join(__dirname, 'crashDriver.js');

interface RunOutput {
  /** Per conversation, the keys the driver began to append, in order. */
  begun: Map<string, string[]>;
  /** Per conversation, the keys that reached the file, in order. */
  wrote: Map<string, string[]>;
  readyBeforeKill: boolean;
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key) ?? [];
  list.push(value);
  map.set(key, list);
}

/**
 * When the kill comes: `delayMs` after "go" (`early`, while the driver opens the store), `delayMs`
 * after it is ready (`timed`), or as soon as it announces its `nth` append (`onWrite`).
 */
type KillPlan = { when: 'early' | 'timed'; delayMs: number } | { when: 'onWrite'; nth: number };

/**
 * One driver process. It is started ahead of time and loads its modules while the previous one runs
 * and is checked; `run` lets it start on the folder and kills it as planned.
 */
class Driver {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly output: RunOutput = { begun: new Map(), wrote: new Map(), readyBeforeKill: false };
  private readonly loaded: Promise<void>;
  private readonly exited: Promise<NodeJS.Signals | null>;
  private plan: KillPlan | undefined;
  private appends = 0;
  private failure: string | undefined;
  private stderr = '';

  constructor(folder: string, url: string, seed: number) {
    this.child = spawn(process.execPath, [DRIVER, folder, url, String(seed)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (_code, signal) => resolve(signal)));
    let onLoaded: () => void = () => undefined;
    this.loaded = new Promise((resolve) => {
      onLoaded = resolve;
    });
    let buffered = '';
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        this.onLine(line, onLoaded);
      }
    });
  }

  private onLine(line: string, onLoaded: () => void): void {
    const [verb, id, ...rest] = line.split(' ');
    const key = rest.join(' ');
    if (verb === 'loaded') {
      onLoaded();
    } else if (verb === 'ready') {
      this.output.readyBeforeKill = true;
      if (this.plan?.when === 'timed') {
        setTimeout(() => this.kill(), this.plan.delayMs);
      }
    } else if (verb === 'begin' && id) {
      push(this.output.begun, id, key);
      if (this.plan?.when === 'onWrite' && ++this.appends === this.plan.nth) {
        this.kill();
      }
    } else if (verb === 'wrote' && id) {
      push(this.output.wrote, id, key);
    } else if (verb === 'error') {
      this.failure = line;
      this.kill();
    }
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  async run(plan: KillPlan): Promise<RunOutput> {
    const watchdog = setTimeout(() => {
      this.failure ??= 'the driver did not get to its kill within 30 s';
      this.kill();
    }, 30_000);
    await this.loaded;
    this.plan = plan;
    this.child.stdin.write('go\n');
    if (plan.when === 'early') {
      setTimeout(() => this.kill(), plan.delayMs);
    }
    const signal = await this.exited;
    clearTimeout(watchdog);
    if (this.failure !== undefined || signal !== 'SIGKILL') {
      throw new Error(`the driver failed: ${this.failure ?? `exited by itself (${String(signal)})`} ${this.stderr}`);
    }
    return this.output;
  }
}

interface FileState {
  keys: string[];
  records: ConversationRecord[];
  /** The file ends in part of a line (cut mid-write). */
  torn: boolean;
  /** Complete lines that are not records: must never happen. */
  corrupt: number;
}

function readConversationFile(file: string): FileState {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const last = lines.pop() ?? '';
  const state: FileState = { keys: [], records: [], torn: false, corrupt: 0 };
  const accept = (line: string): boolean => {
    try {
      const value: unknown = JSON.parse(line);
      if (isConversationRecord(value)) {
        state.records.push(value);
        state.keys.push(recordKey(value));
        return true;
      }
    } catch {
      // not a record
    }
    return false;
  };
  for (const line of lines) {
    if (line !== '' && !accept(line)) {
      state.corrupt++;
    }
  }
  // A last line without its newline is either a whole record (the store completes it) or torn.
  if (last !== '' && !accept(last)) {
    state.torn = true;
  }
  return state;
}

const quiet: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

suite('Crash safety under SIGKILL', function () {
  this.timeout(300_000);
  let emulator: EmulatorHandle;
  let folder: string;

  suiteSetup(async () => {
    // Long messages cost few tokens, so that the large writes do not run into the context window.
    emulator = await startEmulator({ charsPerToken: 40 });
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-crash-'));
  });
  suiteTeardown(async () => {
    await emulator.close();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  test(`${KILLS} seeded SIGKILLs while conversations are written: every conversation reopens, no earlier record is lost, the index recovers`, async () => {
    const random = seededRandom(SEED);
    const confirmed = new Map<string, string[]>();
    const figures = {
      kills: 0,
      killedBeforeReady: 0,
      recordsConfirmed: 0,
      recordsLost: 0,
      inFlightAtKill: 0,
      inFlightKept: 0,
      inFlightDropped: 0,
      /** Files a real kill left ending in part of a line (the kernel finishes writes first, so: expected 0). */
      realTears: 0,
      tornBySimulation: 0,
      corruptLines: 0,
      conversations: 0,
      reopenFailures: 0,
      indexStaleAfterKill: 0,
      indexUnreadableAfterKill: 0,
      indexMismatches: 0,
    };
    const settings: SessionSettings = testSettings();
    const started = Date.now();
    let next: Driver | undefined;
    let tornBefore = new Set<string>();
    for (let kill = 0; kill < KILLS; kill++) {
      const roll = random();
      const plan: KillPlan =
        roll < 0.1 ? { when: 'early', delayMs: Math.floor(random() * 40) } : roll < 0.5 ? { when: 'timed', delayMs: Math.floor(random() * 400) } : { when: 'onWrite', nth: 1 + Math.floor(random() * 8) };
      const driver = next ?? new Driver(folder, emulator.url, SEED + kill);
      const running = driver.run(plan);
      // The next driver loads its modules meanwhile; it touches the folder only after "go".
      next = kill + 1 < KILLS ? new Driver(folder, emulator.url, SEED + kill + 1) : undefined;
      const run = await running;
      figures.kills++;
      if (!run.readyBeforeKill) {
        figures.killedBeforeReady++;
      }
      for (const [id, keys] of run.wrote) {
        for (const key of keys) {
          push(confirmed, id, key);
        }
      }

      // The index as the kill left it: written whole or not at all (write, then rename).
      const files = fs.readdirSync(folder).filter((name) => name.endsWith('.jsonl')).map((name) => name.slice(0, -'.jsonl'.length));
      const indexFile = path.join(folder, 'index.json');
      if (fs.existsSync(indexFile)) {
        try {
          const index = JSON.parse(fs.readFileSync(indexFile, 'utf8')) as { conversations: Array<{ id: string }> };
          const listed = new Set(index.conversations.map((entry) => entry.id));
          if (files.some((id) => !listed.has(id))) {
            figures.indexStaleAfterKill++;
          }
        } catch {
          figures.indexUnreadableAfterKill++;
        }
      } else if (files.length > 0) {
        figures.indexStaleAfterKill++;
      }

      // Every record that reached the file is still there, in order; at most the one being written is not.
      const states = new Map(files.map((id) => [id, readConversationFile(path.join(folder, `${id}.jsonl`))]));
      figures.realTears += [...states].filter(([id, state]) => state.torn && !tornBefore.has(id)).length;
      for (const [id, keys] of confirmed) {
        const state = states.get(id);
        assert.ok(state, `kill ${kill}: the file of ${id} is there`);
        const present = new Set(state.keys);
        const missing = keys.filter((key) => !present.has(key));
        figures.recordsLost += missing.length;
        assert.deepEqual(missing, [], `kill ${kill}: records of ${id} that had been written are lost`);
        const order = state.keys.filter((key) => keys.includes(key));
        assert.deepEqual(order, keys, `kill ${kill}: records of ${id} keep their order`);
      }
      for (const [id, begun] of run.begun) {
        const wrote = new Set(run.wrote.get(id) ?? []);
        const inFlight = begun.filter((key) => !wrote.has(key));
        assert.ok(inFlight.length <= 1, `kill ${kill}: at most one record of ${id} was being written (${inFlight.join(', ')})`);
        for (const key of inFlight) {
          figures.inFlightAtKill++;
          const state = states.get(id);
          if (state?.keys.at(-1) === key && random() < 0.7) {
            // The kernel finishes a write before a SIGKILL lands, so a real kill here leaves whole lines.
            // A power cut would not: cut the record that was being written in half, as it would, so that
            // the next driver has to repair the file before appending.
            const file = path.join(folder, `${id}.jsonl`);
            const size = fs.statSync(file).size;
            const lineLength = Buffer.byteLength(`${JSON.stringify(state.records.at(-1))}\n`);
            fs.truncateSync(file, size - Math.ceil(lineLength / 2));
            states.set(id, readConversationFile(file));
            figures.tornBySimulation++;
          }
          if (states.get(id)?.keys.includes(key)) {
            figures.inFlightKept++;
          } else {
            figures.inFlightDropped++;
          }
        }
      }
      for (const state of states.values()) {
        figures.corruptLines += state.corrupt;
      }
      tornBefore = new Set([...states].filter(([, state]) => state.torn).map(([id]) => id));
      assert.equal(figures.corruptLines, 0, `kill ${kill}: only the last line of a file may be damaged`);

      // Reopen as a new window would: the index is rebuilt from the files and every conversation opens.
      const store = new JsonlConversationStore(folder, quiet);
      const list = await store.list();
      assert.deepEqual(list.map((entry) => entry.id).sort(), [...files].sort(), `kill ${kill}: the index lists every conversation file`);
      for (const entry of list) {
        const records = await store.readAll(entry.id);
        const messages = records.filter((record) => record.kind === 'user' || record.kind === 'assistant').length;
        if (entry.messageCount !== messages) {
          figures.indexMismatches++;
        }
        try {
          const session = await ConversationSession.open({
            store,
            conversationId: entry.id,
            client: () => Promise.reject(new Error('no requests while checking')),
            settings: () => settings,
            systemPrompt: async () => '',
            logger: quiet,
          });
          const shown = session.items().items.length;
          assert.ok(messages === 0 || shown > 0, `kill ${kill}: ${entry.id} shows its messages`);
        } catch (error) {
          figures.reopenFailures++;
          throw error;
        }
      }
      await store.dispose();
      const rebuilt = JSON.parse(fs.readFileSync(indexFile, 'utf8')) as { conversations: Array<{ id: string }> };
      assert.deepEqual(rebuilt.conversations.map((entry) => entry.id).sort(), [...files].sort(), `kill ${kill}: the rewritten index matches the files`);
      figures.conversations = files.length;
    }
    figures.recordsConfirmed = [...confirmed.values()].reduce((sum, keys) => sum + keys.length, 0);
    console.log(`      crash figures: ${JSON.stringify({ ...figures, seed: SEED, seconds: Math.round((Date.now() - started) / 1000) })}`);
    assert.equal(figures.kills, KILLS);
    assert.equal(figures.recordsLost, 0);
    assert.equal(figures.reopenFailures, 0);
    assert.equal(figures.indexMismatches, 0);
    assert.equal(figures.indexUnreadableAfterKill, 0);
    assert.ok(figures.recordsConfirmed > KILLS * 2, `the driver wrote ${figures.recordsConfirmed} records`);
    assert.ok(figures.inFlightAtKill > KILLS / 4, `kills landed while records were being written (${figures.inFlightAtKill})`);
  });
});
