// Writes the compaction mode the view asks for, and says which mode the views should show meanwhile.
import * as vscode from 'vscode';
import type { CompactionMode } from '../shared/protocol';

/**
 * Each write fires a configuration event of its own, and an event can arrive after the user has
 * already picked the next mode: shown as it is read, the select would jump back to the older mode.
 * While writes are in flight the views show the latest mode asked for; once the last one settles,
 * whether it landed or failed, `settled` reports what the settings really say.
 */
export class CompactionModeWriter {
  private inFlight = 0;
  private requested: CompactionMode | undefined;

  constructor(private readonly settled: () => void) {}

  /** The mode to show for the mode the settings hold now. */
  shown(current: CompactionMode): CompactionMode {
    return this.requested ?? current;
  }

  async write(mode: CompactionMode): Promise<void> {
    this.inFlight++;
    this.requested = mode;
    try {
      await vscode.workspace.getConfiguration('marathon').update('compaction.mode', mode, vscode.ConfigurationTarget.Global);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) {
        this.requested = undefined;
        this.settled();
      }
    }
  }
}
