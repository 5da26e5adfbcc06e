// Token arithmetic. Deliberately simple (chars / charsPerToken) so tests can predict every count;
// input tokens are scaled by tokenMultiplier so a few turns reach the 50,000 compaction minimum.

import type { Block, CacheControl, JsonObject, Message } from './types';
import { isObject } from './types';

export interface TokenSettings {
  charsPerToken: number;
  tokenMultiplier: number;
}

/** Fixed token costs for media, before the multiplier (roughly what the real API charges). */
const IMAGE_TOKENS = 1600;
const PDF_TOKENS = 3000;

export function outputTokens(text: string, s: TokenSettings): number {
  return Math.ceil(text.length / s.charsPerToken);
}

function scaled(baseTokens: number, s: TokenSettings): number {
  return Math.ceil(baseTokens * s.tokenMultiplier);
}

export function textInputTokens(text: string, s: TokenSettings): number {
  return scaled(outputTokens(text, s), s);
}

function withoutCacheControl(value: JsonObject): JsonObject {
  const { cache_control: _ignored, ...rest } = value;
  return rest;
}

/** Characters a block contributes to the prompt; every text char counts, tool payloads as JSON. */
function blockChars(block: JsonObject): number {
  switch (block['type']) {
    case 'text':
      return String(block['text'] ?? '').length;
    case 'thinking':
      return String(block['thinking'] ?? '').length;
    case 'redacted_thinking':
      return String(block['data'] ?? '').length;
    case 'compaction':
      return typeof block['content'] === 'string' ? block['content'].length : 0;
    case 'tool_use':
    case 'server_tool_use':
    case 'mcp_tool_use':
      return String(block['name'] ?? '').length + JSON.stringify(block['input'] ?? {}).length;
    case 'tool_result': {
      const content = block['content'];
      if (typeof content === 'string') {return content.length;}
      if (Array.isArray(content)) {
        return content.reduce<number>((sum, inner) => sum + (isObject(inner) ? blockChars(inner) : 0), 0);
      }
      return 0;
    }
    default:
      return JSON.stringify(withoutCacheControl(block)).length;
  }
}

export function blockInputTokens(block: JsonObject, s: TokenSettings): number {
  if (block['type'] === 'image') {return scaled(IMAGE_TOKENS, s);}
  if (block['type'] === 'document') {
    const source = block['source'];
    if (isObject(source) && source['type'] === 'text') {return textInputTokens(String(source['data'] ?? ''), s);}
    if (!(isObject(source) && source['type'] === 'content')) {return scaled(PDF_TOKENS, s);}
  }
  return scaled(Math.ceil(blockChars(block) / s.charsPerToken), s);
}

/** One cacheable position of the prompt: tools, then system blocks, then message blocks. */
export interface PromptUnit {
  /** Serialization that identifies the unit within its prefix (cache_control excluded). */
  key: string;
  tokens: number;
  cacheControl: CacheControl | null;
}

export interface PromptParts {
  tools: JsonObject[];
  system: Block[];
  messages: Message[];
}

function cacheControlOf(value: JsonObject): CacheControl | null {
  const cc = value['cache_control'];
  if (isObject(cc)) {return { ttl: cc['ttl'] === '1h' ? '1h' : '5m' };}
  // A breakpoint inside a tool_result marks the tool_result's position.
  const content = value['content'];
  if (value['type'] === 'tool_result' && Array.isArray(content)) {
    for (const inner of content) {
      if (isObject(inner) && isObject(inner['cache_control'])) {return cacheControlOf(inner);}
    }
  }
  return null;
}

export function promptUnits(parts: PromptParts, topCacheControl: CacheControl | null, s: TokenSettings): PromptUnit[] {
  const units: PromptUnit[] = [];
  for (const tool of parts.tools) {
    units.push({
      key: `tool:${JSON.stringify(withoutCacheControl(tool))}`,
      tokens: textInputTokens(JSON.stringify(withoutCacheControl(tool)), s),
      cacheControl: cacheControlOf(tool),
    });
  }
  for (const block of parts.system) {
    units.push({
      key: `system:${JSON.stringify(withoutCacheControl(block))}`,
      tokens: blockInputTokens(block, s),
      cacheControl: cacheControlOf(block),
    });
  }
  for (const message of parts.messages) {
    message.content.forEach((block, index) => {
      // The message boundary is part of the key: [a, b] in one turn is not [a] and [b] in two.
      const boundary = index === 0 ? `${message.role}>` : '';
      units.push({
        key: `${boundary}${JSON.stringify(withoutCacheControl(block))}`,
        tokens: blockInputTokens(block, s),
        cacheControl: cacheControlOf(block),
      });
    });
  }
  // Top-level cache_control marks the last block of the prompt.
  const last = units[units.length - 1];
  if (topCacheControl && last && !last.cacheControl) {last.cacheControl = topCacheControl;}
  return units;
}

export function sumTokens(units: PromptUnit[]): number {
  return units.reduce((sum, unit) => sum + unit.tokens, 0);
}
