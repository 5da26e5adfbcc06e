// `fs` with a `globSync` that says it needs Node 22 (see node20.mjs).
import fs from 'node:fs';

export * from 'node:fs';
export default fs;

export function globSync() {
  throw new Error('globSync needs Node 22; the conformance tier-check command is not available on Node 20.');
}
