import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig, type Plugin, type UserConfig } from 'vite';

const WEB_DIR = fileURLToPath(new URL('.', import.meta.url));
const REPO_DIR = join(WEB_DIR, '..');
const MODELS_DIR = join(REPO_DIR, 'models');
const ORT_DIST = join(REPO_DIR, 'node_modules', 'onnxruntime-web', 'dist');
/** The wasm backend's files (SIMD + threads build), loaded from <page>/ort/ via ort.env.wasm.wasmPaths. */
const ORT_FILES = ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

/** Threads in onnxruntime-web need SharedArrayBuffer, which needs a cross-origin isolated page. */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const CONTENT_TYPES: Record<string, string> = {
  '.onnx': 'application/octet-stream',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.mjs': 'text/javascript',
  '.md': 'text/markdown; charset=utf-8',
};

const servedModel = (name: string) => /\.(onnx|json|md)$/i.test(name);

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** Serves the files of `dir` (one level, filtered) under `prefix`; a missing file is a 404, never the HTML page. */
function serveDirectory(prefix: string, dir: string, allow: (name: string) => boolean): Middleware {
  return (req, res, next) => {
    const path = decodeURIComponent((req.url ?? '').split('?')[0]!);
    if (!path.startsWith(prefix)) return next();
    const name = path.slice(prefix.length);
    const file = join(dir, name);
    if (
      (req.method !== 'GET' && req.method !== 'HEAD') ||
      !name ||
      name.includes('/') ||
      name.includes('\\') ||
      name.startsWith('.') ||
      !allow(name) ||
      !existsSync(file) ||
      !statSync(file).isFile()
    ) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('Content-Type', CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream');
    res.setHeader('Content-Length', String(statSync(file).size));
    res.setHeader('Cache-Control', 'no-cache');
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  };
}

export interface WebConfigOptions {
  /** More directories to serve, URL prefix -> directory (the browser test serves its test-built model this way). */
  extraDirectories?: Record<string, string>;
}

function antispoofAssets(options: WebConfigOptions): Plugin {
  const middlewares: Middleware[] = [
    (_req, res, next) => {
      for (const [name, value] of Object.entries(ISOLATION_HEADERS)) res.setHeader(name, value);
      next();
    },
    serveDirectory('/models/', MODELS_DIR, servedModel),
    serveDirectory('/ort/', ORT_DIST, (name) => ORT_FILES.includes(name)),
    ...Object.entries(options.extraDirectories ?? {}).map(([prefix, dir]) => serveDirectory(prefix, dir, () => true)),
  ];
  let outDir = '';
  return {
    name: 'antispoof-assets',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    configureServer(server) {
      for (const middleware of middlewares) server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      for (const middleware of middlewares) server.middlewares.use(middleware);
    },
    // The built page is static: ship the detector, any installed classifier and its card, and ort's wasm files.
    writeBundle() {
      mkdirSync(join(outDir, 'models'), { recursive: true });
      for (const name of readdirSync(MODELS_DIR).filter(servedModel))
        copyFileSync(join(MODELS_DIR, name), join(outDir, 'models', name));
      mkdirSync(join(outDir, 'ort'), { recursive: true });
      for (const name of ORT_FILES) copyFileSync(join(ORT_DIST, name), join(outDir, 'ort', name));
    },
  };
}

/** The demo's Vite config; a function so the browser test can add its own model directory. */
export function webConfig(options: WebConfigOptions = {}): UserConfig {
  return {
    root: WEB_DIR,
    base: './',
    appType: 'mpa',
    clearScreen: false,
    plugins: [antispoofAssets(options)],
    resolve: {
      // onnxruntime-web's build without the wasm glue inlined: it always loads ort/*.mjs + *.wasm (wasmPaths), so the
      // 13 MB .wasm is not emitted a second time as a hashed asset.
      conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
      // The demo imports the package's browser entry by name, as an app would; here it is this repository's source.
      alias: [{ find: /^antispoof\/web$/, replacement: join(REPO_DIR, 'src/web.ts') }],
    },
    // onnxruntime-web loads its wasm glue and workers itself; pre-bundling it would break those URLs.
    optimizeDeps: { exclude: ['onnxruntime-web'], noDiscovery: true, include: [] },
    server: { headers: ISOLATION_HEADERS, fs: { allow: [REPO_DIR] } },
    preview: { headers: ISOLATION_HEADERS },
    build: { outDir: join(WEB_DIR, 'dist'), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1024 },
  };
}

export default defineConfig(webConfig());
