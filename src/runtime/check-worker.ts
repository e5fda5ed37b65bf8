// Entry of an inference worker thread (started by the pooled checker, src/runtime/pooled-checker.ts): an ordinary
// in-thread checker, so a pooled check runs exactly the code and models of `createLivenessChecker({ workers: 0 })`.
import type { ImageInput } from '../image/pixels.js';
import type { LivenessCheckerOptions } from '../liveness-checker.js';
import type { RgbImage } from '../types.js';
import { createInThreadChecker } from './in-thread-checker.js';
import type { CheckRequest } from './pooled-checker.js';
import { serveWorkerTasks } from './worker-protocol.js';

serveWorkerTasks<CheckRequest, unknown>(async (data) => {
  // No sharp.cache() or sharp.concurrency() here: libvips settings are process-wide, the caller's to choose.
  const options = data as LivenessCheckerOptions;
  // One intra-op thread per session unless told otherwise: the pool, not onnxruntime, spreads work over the cores.
  const checker = await createInThreadChecker({ ...options, threads: options.threads ?? 1 });
  return {
    async handle(request) {
      switch (request.kind) {
        case 'check': {
          // Bytes arrive as a plain Uint8Array over a moved or copied ArrayBuffer; a Buffer view of it (no copy)
          // takes the very path a caller's Buffer takes in-thread.
          const { input } = request;
          const bytes = input instanceof Uint8Array ? Buffer.from(input.buffer, input.byteOffset, input.length) : input;
          return checker.check(bytes as ImageInput | RgbImage, request.options);
        }
        case 'checkImage':
          return checker.checkImage(request.image as RgbImage, request.options);
        case 'classify':
          return checker.classifier.classify(request.crops as RgbImage[]);
      }
    },
    dispose: () => checker.close(),
  };
});
