import * as ort from 'onnxruntime-web/wasm';
import { AntispoofError } from '../../src/errors.js';

export { ort };

export interface WebRuntimeInfo {
  backend: 'wasm';
  threads: number;
  crossOriginIsolated: boolean;
  wasmPaths: string;
}

/**
 * onnxruntime-web, wasm backend (SIMD build), files served by this page under ort/ — never a CDN. Threads need
 * SharedArrayBuffer, hence a cross-origin isolated page (COOP/COEP headers, set by web/vite.config.ts).
 */
export function configureRuntime(options: { threads?: number; base?: string } = {}): WebRuntimeInfo {
  const isolated = globalThis.crossOriginIsolated === true;
  const cores = globalThis.navigator?.hardwareConcurrency || 1;
  const threads = isolated ? Math.max(1, Math.min(4, options.threads ?? cores)) : 1;
  const wasmPaths = new URL('ort/', options.base ?? document.baseURI).href;
  ort.env.wasm.wasmPaths = wasmPaths;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  return { backend: 'wasm', threads, crossOriginIsolated: isolated, wasmPaths };
}

/** Fetches an ONNX model and creates a wasm session; errors name the URL, with the node loader's error codes. */
export async function createWebSession(url: URL): Promise<ort.InferenceSession> {
  let bytes: Uint8Array;
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (cause) {
    throw new AntispoofError('MODEL_NOT_FOUND', `cannot fetch model ${url.href}: ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    return await ort.InferenceSession.create(bytes, {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
  } catch (cause) {
    throw new AntispoofError('MODEL_LOAD_FAILED', `cannot load ONNX model ${url.href}: ${(cause as Error).message}`, {
      cause,
    });
  }
}
