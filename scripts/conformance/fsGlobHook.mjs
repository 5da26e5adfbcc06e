// Module hook for node20.mjs: the conformance runner's `fs` resolves to fs plus a globSync stub.
export async function resolve(specifier, context, next) {
  if ((specifier === 'fs' || specifier === 'node:fs') && context.parentURL?.includes('/@modelcontextprotocol/conformance/')) {
    return { url: new URL('./fsWithGlob.mjs', import.meta.url).href, shortCircuit: true };
  }
  return next(specifier, context);
}
