/** Thrown by the node-API stand-ins: the page only uses the runtime-free parts of src/, never the node loaders. */
export function unavailable(name: string): never {
  throw new Error(`${name} is not available in the browser demo (node-only code path reached)`);
}
