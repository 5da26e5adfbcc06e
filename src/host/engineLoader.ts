// Loads the engine bundle once, on first use. esbuild keeps `../core/engineBundle` out of the extension
// bundle and emits it as dist/engine.js, so activation parses neither the SDK nor the store.
export type Engine = typeof import('../core/engineBundle');

let engine: Promise<Engine> | undefined;

export function loadEngine(): Promise<Engine> {
  engine ??= import('../core/engineBundle');
  return engine;
}
