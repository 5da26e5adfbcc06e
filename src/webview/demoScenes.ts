// The demo backend's scenes, offered by the empty state in demo mode: each sends a prompt the bundled
// emulator answers with a scripted scene (a code answer to Apply, a compaction, an agent run with an
// edit and a command to approve, a fix as a diff). The runner does what a scene needs around its
// prompt: Agent mode first, or Compact Now once the answer has settled.
import type { ChatMode } from '../shared/protocol';

export interface DemoScene {
  id: 'code' | 'compaction' | 'agent' | 'fix';
  title: string;
  /** What the emulator recognises (test/emulator/scenes.ts matches "Demo scene: <kind>"). */
  prompt: string;
  /** Switch to this mode before sending. */
  mode?: ChatMode;
  /** Compact on demand once the answer is in. */
  compactAfter?: boolean;
}

export const DEMO_SCENES: readonly DemoScene[] = [
  { id: 'code', title: 'A code answer to Apply', prompt: 'Demo scene: a code answer — add a totalQuantity helper to src/inventory.ts.' },
  { id: 'compaction', title: 'A compaction', prompt: 'Demo scene: a compaction — sum up what we have so far, then compact.', compactAfter: true },
  { id: 'agent', title: 'An agent run: an edit and a command', prompt: 'Demo scene: an agent run — raise the low-stock threshold and check Node.', mode: 'agent' },
  { id: 'fix', title: 'A fix as a diff', prompt: 'Demo scene: a fix — lowStock should include items at the threshold.' },
];

export interface SceneHost {
  send(text: string): void;
  setMode(mode: ChatMode): void;
  compact(): void;
  mode(): ChatMode | undefined;
}

export class SceneRunner {
  /** A scene waiting for its mode to be switched on. */
  private waitingForMode: DemoScene | undefined;
  private compactWhenSettled = false;
  private sent = false;

  constructor(private readonly host: SceneHost) {}

  run(scene: DemoScene): void {
    if (scene.mode !== undefined && this.host.mode() !== scene.mode) {
      this.waitingForMode = scene;
      this.host.setMode(scene.mode);
      return;
    }
    this.start(scene);
  }

  /** The host reported the chat mode. */
  modeChanged(mode: ChatMode): void {
    const scene = this.waitingForMode;
    if (scene !== undefined && scene.mode === mode) {
      this.waitingForMode = undefined;
      this.start(scene);
    }
  }

  /** The turn started or settled. */
  generatingChanged(generating: boolean): void {
    if (generating) {
      this.sent = false;
      return;
    }
    if (this.compactWhenSettled && !this.sent) {
      this.compactWhenSettled = false;
      this.host.compact();
    }
  }

  private start(scene: DemoScene): void {
    this.compactWhenSettled = scene.compactAfter === true;
    this.sent = true;
    this.host.send(scene.prompt);
  }
}
