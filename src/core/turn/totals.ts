// The usage totals of one conversation: answers of this session are added live, the rest of the file is
// totalled once in the background without counting a live answer twice.
import type { ContextMeter } from '../../shared/protocol';
import type { ConversationStore, Logger } from '../ports';
import type { ConversationRecord, UsageFigures } from '../records';
import { UsageLedger, priceFor, type ModelPrice } from '../usage';
import { describeError } from '../errorText';
import type { SettingsSnapshot } from './settingsSnapshot';

export class UsageTotals {
  private readonly ledger = new UsageLedger();
  /** Answers whose usage was added live, so the background total does not count them twice. */
  private readonly liveUsageIds = new Set<string>();
  private totalsLoaded = false;

  /** Tokens in the context now: the last answer's count, or an estimate after a local change. */
  get contextTokens(): number {
    return this.ledger.contextTokens;
  }

  set contextTokens(tokens: number) {
    this.ledger.contextTokens = tokens;
  }

  /**
   * The context as the conversation showed it when it was left: its last measured answer, or the
   * estimate of the compaction after it (what the summary and the put-back come to).
   */
  restoreContext(records: { findLast(predicate: (record: ConversationRecord) => boolean): ConversationRecord | undefined }): void {
    const shown = (record: ConversationRecord): number | undefined =>
      record.kind === 'assistant' ? record.usage?.contextTokens || undefined : record.kind === 'compaction' ? record.tokensAfter : undefined;
    const last = records.findLast((record) => shown(record) !== undefined);
    this.ledger.contextTokens = (last && shown(last)) ?? this.ledger.contextTokens;
  }

  /** Adds figures; `recordId` names the stored answer they came with, if any. */
  add(figures: UsageFigures, price: ModelPrice, recordId?: string): void {
    if (recordId !== undefined && !this.totalsLoaded) {
      this.liveUsageIds.add(recordId);
    }
    this.ledger.add(figures, price);
  }

  meter(settings: Pick<SettingsSnapshot, 'triggerTokens' | 'contextWindow'>): ContextMeter {
    return this.ledger.meter(settings.triggerTokens, settings.contextWindow);
  }

  /** Totals the whole file; returns false (and logs why) when it cannot be read. */
  async load(store: ConversationStore, conversationId: string, prices: SettingsSnapshot['prices'], logger: Logger): Promise<boolean> {
    try {
      const totals = new UsageLedger();
      for (const record of await store.readAll(conversationId)) {
        // Answers and on-demand compactions carry what they were billed.
        if ((record.kind === 'assistant' || record.kind === 'compaction') && record.usage && !this.liveUsageIds.has(record.id)) {
          totals.add(record.usage, priceFor(record.model ?? '', prices));
        }
      }
      this.ledger.merge(totals);
      return true;
    } catch (error) {
      logger.warn(`[Store] could not total the usage of ${conversationId}: ${describeError(error)}`);
      return false;
    } finally {
      // Needed only while the file was being read; a session of hours must not keep every id.
      this.totalsLoaded = true;
      this.liveUsageIds.clear();
    }
  }
}
