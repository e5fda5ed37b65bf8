import * as ort from 'onnxruntime-web/wasm';
import { AntispoofError } from '../errors.js';

export { ort };

export interface WebRuntimeInfo {
  backend: 'wasm';
  threads: number;
  crossOriginIsolated: boolean;
  wasmPaths: string;
  /** Whether inference runs in onnxruntime-web's proxy worker, off the page's thread. */
  proxy: boolean;
}

export interface WebRuntimeOptions {
  /** Intra-op threads; default the cores, at most 4; 1 unless the page is cross-origin isolated. */
  threads?: number;
  /** URL of the folder holding onnxruntime-web's ort-wasm-simd-threaded.{mjs,wasm}; default `ort/` of the page. */
  wasmPaths?: string | URL;
  /**
   * Run onnxruntime in its own Web Worker (onnxruntime-web's proxy), so the page stays responsive while a model
   * runs; default true where the page can start workers.
   */
  proxy?: boolean;
}

/** The page's (or worker's) own URL: relative model and runtime URLs resolve against it. */
export function pageUrl(): string {
  return globalThis.document?.baseURI ?? globalThis.location?.href ?? 'http://localhost/';
}

/**
 * onnxruntime-web, wasm backend (SIMD build), files served by the page itself (`ort/` by default) — never a CDN.
 * Threads need SharedArrayBuffer, hence a cross-origin isolated page (COOP/COEP headers, as web/vite.config.ts sets).
 */
export function configureRuntime(options: WebRuntimeOptions = {}): WebRuntimeInfo {
  const isolated = globalThis.crossOriginIsolated === true;
  const cores = globalThis.navigator?.hardwareConcurrency || 1;
  const threads = isolated ? Math.max(1, Math.min(4, options.threads ?? cores)) : 1;
  const wasmPaths = new URL(options.wasmPaths ?? 'ort/', pageUrl()).href;
  ort.env.wasm.wasmPaths = wasmPaths;
  ort.env.wasm.numThreads = threads;
  const proxy = (options.proxy ?? true) && typeof Worker !== 'undefined' && globalThis.document !== undefined;
  ort.env.wasm.proxy = proxy;
  return { backend: 'wasm', threads, crossOriginIsolated: isolated, wasmPaths, proxy };
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
