// What an MCP tool call returns, turned into the tool_result the model reads: text, images as image
// blocks, embedded resources as text (or images), the rest as a short marker; cut at a size cap with a
// marker saying so. Pure: no `vscode` import.
import type { ToolResultBlock } from '../../core/ports';

/** The content items of a `tools/call` result (MCP spec, 2025-06-18 and later), as far as they are read here. */
export type McpContent =
  | { type: 'text'; text: string }
  | { type: 'image'; data: string; mimeType: string }
  | { type: 'audio'; data: string; mimeType: string }
  | { type: 'resource_link'; uri: string; name?: string; mimeType?: string; description?: string }
  | { type: 'resource'; resource: { uri: string; mimeType?: string; text?: string; blob?: string } }
  | { type: string; [key: string]: unknown };

export interface McpCallResult {
  content?: McpContent[];
  structuredContent?: unknown;
  isError?: boolean;
}

export interface ConvertedResult {
  /** The tool_result content: a string when it is text only. */
  content: string | ToolResultBlock[];
  isError: boolean;
  /** True when text was cut at the cap. */
  cut: boolean;
}

/** Image types the API reads in a tool_result. */
const API_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
/** The API's limit for one image (5 MB), as base64 characters. */
export const MAX_IMAGE_BASE64 = Math.floor((5 * 1024 * 1024 * 4) / 3);

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function decodedBytes(base64: string): number {
  return Math.floor((base64.length * 3) / 4);
}

function describeBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function imageBlock(data: string, mimeType: string, label: string): ToolResultBlock {
  if (!API_IMAGE_TYPES.has(mimeType)) {
    return { type: 'text', text: `[${label}: an image of type ${mimeType}, which the model cannot read, was left out]` };
  }
  if (data.length > MAX_IMAGE_BASE64) {
    return { type: 'text', text: `[${label}: an image of ${describeBytes(decodedBytes(data))}, over the 5 MB an image may have, was left out]` };
  }
  return { type: 'image', source: { type: 'base64', media_type: mimeType as 'image/png', data } };
}

function toBlocks(item: McpContent): ToolResultBlock[] {
  switch (item.type) {
    case 'text':
      return typeof item.text === 'string' && item.text !== '' ? [{ type: 'text', text: item.text }] : [];
    case 'image':
      return typeof item.data === 'string' && typeof item.mimeType === 'string' ? [imageBlock(item.data, item.mimeType, 'image')] : [];
    case 'audio':
      return [{ type: 'text', text: `[audio of type ${String(item.mimeType)} (${describeBytes(decodedBytes(typeof item.data === 'string' ? item.data : ''))}) left out: the model cannot hear it]` }];
    case 'resource_link': {
      const link = item as Extract<McpContent, { type: 'resource_link' }>;
      const about = [link.name, link.mimeType, link.description].filter((part) => typeof part === 'string' && part !== '').join(', ');
      return [{ type: 'text', text: `[resource link: ${link.uri}${about ? ` (${about})` : ''}]` }];
    }
    case 'resource': {
      const resource = (item as Extract<McpContent, { type: 'resource' }>).resource;
      if (typeof resource !== 'object' || resource === null) {
        return [];
      }
      const mime = resource.mimeType ?? 'unknown type';
      if (typeof resource.text === 'string') {
        return [{ type: 'text', text: `[resource ${resource.uri} (${mime})]\n${resource.text}` }];
      }
      if (typeof resource.blob === 'string') {
        if (resource.mimeType !== undefined && API_IMAGE_TYPES.has(resource.mimeType)) {
          return [{ type: 'text', text: `[resource ${resource.uri}]` }, imageBlock(resource.blob, resource.mimeType, `resource ${resource.uri}`)];
        }
        return [{ type: 'text', text: `[resource ${resource.uri}: ${describeBytes(decodedBytes(resource.blob))} of ${mime} data, not shown]` }];
      }
      return [{ type: 'text', text: `[resource ${resource.uri}]` }];
    }
    default:
      return [{ type: 'text', text: `[content of type ${String(item.type)} left out]` }];
  }
}

/** Cuts text blocks to `maxBytes` in all (images are not counted), marking the cut with how much went. */
function capText(blocks: ToolResultBlock[], maxBytes: number): { blocks: ToolResultBlock[]; cut: boolean } {
  const total = blocks.reduce((sum, block) => sum + (block.type === 'text' ? byteLength(block.text) : 0), 0);
  if (total <= maxBytes) {
    return { blocks, cut: false };
  }
  let budget = maxBytes;
  const out: ToolResultBlock[] = [];
  for (const block of blocks) {
    if (block.type !== 'text') {
      out.push(block);
      continue;
    }
    if (budget <= 0) {
      continue;
    }
    const bytes = byteLength(block.text);
    if (bytes <= budget) {
      out.push(block);
      budget -= bytes;
      continue;
    }
    const head = Buffer.from(block.text, 'utf8').subarray(0, budget).toString('utf8').replace(/\uFFFD$/, '');
    if (head !== '') {
      out.push({ type: 'text', text: head });
    }
    budget = 0;
  }
  out.push({ type: 'text', text: `[… result cut: ${describeBytes(total - maxBytes)} of ${describeBytes(total)} left out (over marathon.mcp.maxResultBytes) …]` });
  return { blocks: out, cut: true };
}

/** Joins adjacent text blocks, and gives back a plain string when only text is left. */
function compact(blocks: ToolResultBlock[]): string | ToolResultBlock[] {
  const joined: ToolResultBlock[] = [];
  for (const block of blocks) {
    const previous = joined[joined.length - 1];
    if (block.type === 'text' && previous?.type === 'text') {
      joined[joined.length - 1] = { type: 'text', text: `${previous.text}\n${block.text}` };
    } else {
      joined.push(block);
    }
  }
  if (joined.length === 0) {
    return '(no output)';
  }
  return joined.every((block) => block.type === 'text') ? joined.map((block) => (block as { text: string }).text).join('\n') : joined;
}

export function convertCallResult(result: McpCallResult, maxBytes: number): ConvertedResult {
  const items = Array.isArray(result.content) ? result.content : [];
  let blocks = items.flatMap(toBlocks);
  if (blocks.length === 0 && result.structuredContent !== undefined) {
    blocks = [{ type: 'text', text: JSON.stringify(result.structuredContent, null, 2) }];
  }
  const capped = capText(blocks, maxBytes);
  return { content: compact(capped.blocks), isError: result.isError === true, cut: capped.cut };
}
