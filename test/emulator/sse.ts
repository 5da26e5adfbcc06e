// SSE framing exactly as the real API: every message has `event:` (the SDK drops those without) and a
// `data:` JSON whose `type` equals the event name (reference §3.1). Stream faults are injected here.

import type { ServerResponse } from 'node:http';
import type { Generated } from './engine';
import type { StreamFault } from './types';

interface Step {
  event: string;
  data: object;
  /** Pause before writing (pacing between text deltas). */
  delayMs: number;
  textDelta: boolean;
  /** Keep the connection alive with pings during the pause (a server summarizing sends nothing else). */
  pings?: boolean;
}

/** Interval of the pings a summarizing server sends (the SDK drops them, so a client never sees them). */
const PING_INTERVAL_MS = 100;

export function sseFrame(event: string, data: object): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The event sequence of a finished Message: start, ping, blocks, cumulative message_delta, stop. */
function steps(gen: Generated): Step[] {
  const { message } = gen;
  const { usage } = message;
  const out: Step[] = [];
  const push = (event: string, data: object, delayMs = 0, textDelta = false, pings = false): void => {
    out.push({ event, data: { type: event, ...data }, delayMs, textDelta, pings });
  };
  push('message_start', {
    message: {
      ...message,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      stop_details: null,
      context_management: null,
      // Provisional counts; message_delta carries the final ones (cache_creation is already final).
      usage: { ...usage, input_tokens: gen.provisionalInputTokens, output_tokens: usage.output_tokens > 0 ? 1 : 0, output_tokens_details: null, iterations: null },
    },
  });
  push('ping', {});
  let textDeltas = 0;
  gen.blocks.forEach((block, index) => {
    push('content_block_start', { index, content_block: block.start }, index === 0 ? (gen.firstTokenDelayMs ?? 0) : 0);
    block.deltas.forEach((delta, d) => {
      if (delta['type'] === 'compaction_delta' && d === 0 && (gen.summaryDelayMs ?? 0) > 0) {
        push('content_block_delta', { index, delta }, gen.summaryDelayMs, false, true);
        return;
      }
      const paced = block.text ? textDeltas++ > 0 : block.paced === true;
      push('content_block_delta', { index, delta }, paced ? gen.deltaDelayMs : 0, block.text);
    });
    push('content_block_stop', { index });
  });
  push('message_delta', {
    delta: {
      stop_reason: message.stop_reason,
      stop_sequence: message.stop_sequence,
      stop_details: message.stop_details,
      container: message.container,
    },
    usage: {
      input_tokens: usage.input_tokens,
      cache_creation_input_tokens: usage.cache_creation_input_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens,
      output_tokens: usage.output_tokens,
      // Thinking tokens come only with the final message_delta (reference thinking §2).
      ...(usage.output_tokens_details ? { output_tokens_details: usage.output_tokens_details } : {}),
      iterations: usage.iterations,
    },
    context_management: message.context_management,
  });
  push('message_stop', {});
  return out;
}

/** Waits `ms`, or less if the client goes away (e.g. the user pressed Stop). */
function pause(ms: number, res: ServerResponse): Promise<void> {
  if (ms <= 0 || res.destroyed) {return Promise.resolve();}
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once('close', done);
  });
}

const STREAM_ERROR_MESSAGES: Record<string, string> = { overloaded_error: 'Overloaded', api_error: 'Internal server error' };

/** Applies a stream fault; returns true when the stream is over. */
async function applyFault(fault: StreamFault, res: ServerResponse): Promise<boolean> {
  switch (fault.kind) {
    case 'drop': {
      // Flush what was written, then cut the connection: no message_stop, no chunked terminator.
      const socket = res.socket;
      if (socket) {socket.end(() => socket.destroy());}
      else {res.destroy();}
      return true;
    }
    case 'stream-error': {
      const type = fault.errorType ?? 'overloaded_error';
      res.end(sseFrame('error', { type: 'error', error: { type, message: STREAM_ERROR_MESSAGES[type] ?? type } }));
      return true;
    }
    case 'malformed':
      res.end('event: content_block_delta\ndata: {not json\n\n');
      return true;
    case 'stall':
      await pause(fault.ms, res);
      return false;
  }
}

export async function writeStream(res: ServerResponse, gen: Generated, fault: StreamFault | undefined, headers: Record<string, string>): Promise<void> {
  res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.flushHeaders();
  let pending = fault;
  let textDeltas = 0;
  // A fault fires once `afterDeltas` text deltas are out (0 = right after the headers), or at the
  // latest before message_delta when the reply has fewer deltas.
  const due = async (force: boolean): Promise<boolean> => {
    if (!pending || (!force && textDeltas !== pending.afterDeltas)) {return false;}
    const current = pending;
    pending = undefined;
    return applyFault(current, res);
  };
  if (await due(false)) {return;}
  for (const step of steps(gen)) {
    if (step.pings) {
      for (let waited = 0; waited < step.delayMs && !res.destroyed; waited += PING_INTERVAL_MS) {
        await pause(Math.min(PING_INTERVAL_MS, step.delayMs - waited), res);
        if (!res.destroyed && !res.writableEnded) {res.write(sseFrame('ping', { type: 'ping' }));}
      }
    } else {
      await pause(step.delayMs, res);
    }
    if (step.event === 'message_delta' && (await due(true))) {return;}
    if (res.destroyed || res.writableEnded) {return;}
    res.write(sseFrame(step.event, step.data));
    if (step.textDelta) {
      textDeltas++;
      if (await due(false)) {return;}
    }
  }
  res.end();
}
