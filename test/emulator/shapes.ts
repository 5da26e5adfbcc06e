// How compaction blocks stream: the reference's shapes by default (a null shell and one compaction_delta
// for threshold blocks, the whole signed block at once on demand), or the variants other servers and
// proxies send, switched on one by one through `EmulatorConfig.shapes` (issue: "Stream shapes").

import { createHmac } from 'node:crypto';
import type { StreamBlock } from './engine';
import type { JsonObject, StreamShapes } from './types';

/** A content block as the final Message holds it and as it streams. */
export interface BuiltBlock {
  final: JsonObject;
  stream: StreamBlock;
}

/** Opaque, deterministic stand-in for the server's `encrypted_content`. */
export function encryptedContentFor(secret: string, content: string | null): string {
  return 'Eq' + createHmac('sha256', secret).update('encrypted').update('\0').update(content ?? '').digest('base64').slice(0, 43);
}

function split(text: string, count: number): string[] {
  const n = Math.max(1, Math.min(Math.floor(count), text.length));
  const pieces: string[] = [];
  for (let i = 0; i < n; i++) {pieces.push(text.slice(Math.round((i * text.length) / n), Math.round(((i + 1) * text.length) / n)));}
  return pieces;
}

/**
 * A threshold compaction block. Split summaries stream as consecutive pieces (the block's content is their
 * concatenation); the TS SDK assigns each compaction_delta instead of appending (reference §3.4), so a
 * client that reads only `finalMessage()` keeps the last piece.
 */
export function thresholdBlock(content: string | null, shapes: StreamShapes, secret: string): BuiltBlock {
  const encrypted: JsonObject = shapes.encryptedContent === 'none' ? {} : { encrypted_content: encryptedContentFor(secret, content) };
  const start: JsonObject = { type: 'compaction', content: shapes.compactionStartEmpty ? '' : null, ...(shapes.encryptedContent === 'block' ? encrypted : {}) };
  const pieces = content === null ? [null] : split(content, shapes.summaryDeltas);
  const deltas: JsonObject[] = pieces.map((piece, i) => ({
    type: 'compaction_delta',
    content: piece,
    ...(shapes.encryptedContent === 'delta' && i === pieces.length - 1 ? encrypted : {}),
  }));
  return { final: { type: 'compaction', content, ...encrypted }, stream: { start, deltas, text: false } };
}

/** An on-demand block arrives whole in its content_block_start; `tool_changes` may be absent. */
export function onDemandBlock(content: string, signature: string, toolChanges: JsonObject[], shapes: StreamShapes): BuiltBlock {
  const block: JsonObject = { type: 'compaction', content, signature, ...(shapes.omitToolChanges ? {} : { tool_changes: toolChanges }) };
  return { final: block, stream: { start: block, deltas: [], text: false } };
}

/** A text block streamed in one delta, or none when empty (the API sends empty text blocks that way). */
export function plainTextBlock(text: string): BuiltBlock {
  return {
    final: { type: 'text', text, citations: null },
    stream: { start: { type: 'text', text: '', citations: null }, deltas: text === '' ? [] : [{ type: 'text_delta', text }], text: false },
  };
}
