// What each model can do, learnt once per model from the Models API: its context window, whether it
// supports server-side compaction, and how it thinks. Until a probe answers, the defaults stand.
import type { Logger } from '../../core/ports';
import type { MessagesClient } from '../../core/session';
import { describeError } from '../../core/errorText';
import { ON_DEMAND_BETA } from '../../core/betas';
import { capabilitiesFromModelsApi, fallbackCapabilities, type ModelsApiThinking, type ThinkingCapabilities } from '../../core/turn/thinking';

export const DEFAULT_CONTEXT_WINDOW = 200_000;

/** The part of a Models API answer Marathon reads; older servers omit the capabilities. */
interface ModelInfo extends ModelsApiThinking {
  max_input_tokens?: number | null;
  capabilities?: ModelsApiThinking['capabilities'] & {
    context_management?: { compact_20260112?: { supported?: boolean }; clear_tool_uses_20250919?: { supported?: boolean }; clear_thinking_20251015?: { supported?: boolean } };
    /** On-demand compaction; reported only to a request that carries its beta header. */
    compaction?: { summarize?: { supported?: boolean } } | null;
  } | null;
}

export class ModelCapabilities {
  private readonly contextWindows = new Map<string, number>();
  private readonly probes = new Map<string, Promise<void>>();
  private readonly compactionUnsupported = new Set<string>();
  private readonly contextEditingUnsupported = new Set<string>();
  private readonly clearThinkingUnsupported = new Set<string>();
  private readonly onDemandUnsupported = new Set<string>();
  private readonly thinking = new Map<string, ThinkingCapabilities>();

  constructor(
    private readonly logger: Logger,
    /** Called once when a model turns out not to support compaction. */
    private readonly onCompactionUnsupported: (model: string) => void,
    /** Called when a probe has answered, so what the view shows (Compact Now) can follow. */
    private readonly onDidLearn: (model: string) => void = () => undefined,
  ) {}

  contextWindow(model: string): number {
    return this.contextWindows.get(model) ?? DEFAULT_CONTEXT_WINDOW;
  }

  /** True until the Models API says otherwise (a 400 naming the beta still turns compaction off). */
  compactionSupported(model: string): boolean {
    return !this.compactionUnsupported.has(model);
  }

  /** True until the Models API says the model has no on-demand compaction (Haiku): Compact Now is then off. */
  onDemandSupported(model: string): boolean {
    return !this.onDemandUnsupported.has(model);
  }

  /** True until the Models API says the model cannot clear tool results (context editing). */
  contextEditingSupported(model: string): boolean {
    return !this.contextEditingUnsupported.has(model);
  }

  /** The thinking types, efforts and output cap the Models API reported, else the fallback table's row. */
  thinkingCapabilities(model: string): ThinkingCapabilities {
    return this.thinking.get(model) ?? fallbackCapabilities(model);
  }

  /**
   * Asks the Models API about `model`, once per model; failures keep the defaults. Every caller gets
   * the same answer: one that comes while the first probe is on its way waits for it rather than
   * reading the 200k default (on a 1M model that default would misplace manual mode's trigger).
   */
  probe(client: MessagesClient, model: string): Promise<void> {
    let probe = this.probes.get(model);
    if (!probe) {
      probe = this.ask(client, model).finally(() => this.onDidLearn(model));
      this.probes.set(model, probe);
    }
    return probe;
  }

  private async ask(client: MessagesClient, model: string): Promise<void> {
    try {
      // The docs read `capabilities.compaction.summarize` with the on-demand beta header; an endpoint
      // that refuses the header is asked again without it.
      const info = ((await client.beta.models.retrieve(model, { betas: [ON_DEMAND_BETA] }).catch(() => client.beta.models.retrieve(model))) as ModelInfo);
      if (typeof info.max_input_tokens === 'number' && info.max_input_tokens > 0) {
        this.contextWindows.set(model, info.max_input_tokens);
        this.logger.debug(`[Models] ${model}: context window ${info.max_input_tokens} tokens`);
      }
      const thinking = capabilitiesFromModelsApi(model, info);
      this.thinking.set(model, thinking);
      this.logger.debug(
        `[Models] ${model}: thinking ${['adaptive', 'enabled', 'disabled'].filter((type) => thinking[type as 'adaptive']).join('/') || 'none'}, effort ${thinking.efforts.join('/') || 'none'}, output cap ${thinking.maxOutputTokens ?? '?'} (from ${thinking.source === 'models-api' ? 'the Models API' : "Marathon's model table"})`,
      );
      if (info.capabilities?.context_management?.clear_tool_uses_20250919?.supported === false) {
        this.contextEditingUnsupported.add(model);
        this.logger.info(`[Models] ${model} does not support context editing; tool results stay until compaction`);
      }
      if (info.capabilities?.context_management?.clear_thinking_20251015?.supported === false) {
        this.clearThinkingUnsupported.add(model);
      }
      if (info.capabilities?.compaction?.summarize?.supported === false) {
        this.onDemandUnsupported.add(model);
        this.logger.info(`[Models] ${model} has no on-demand compaction; Compact Now is off and the trigger compacts instead`);
      }
      if (info.capabilities?.context_management?.compact_20260112?.supported === false) {
        this.compactionUnsupported.add(model);
        this.logger.warn(`[Models] ${model} does not support compaction; conversations with it are trimmed instead`);
        this.onCompactionUnsupported(model);
      }
    } catch (error) {
      this.logger.debug(`[Models] could not read the context window of ${model}: ${describeError(error)}`);
    }
  }
}
