// Stand-in for onnxruntime-node (native) in the page. The page creates its sessions with onnxruntime-web
// (web/src/runtime.ts) and hands them to faceDetectorFromSession / classifierFromSession; the node loaders that
// would use this module are never called.
import { unavailable } from './unavailable.js';

export const InferenceSession = {
  create(..._args: unknown[]): never {
    return unavailable('onnxruntime-node');
  },
};

export class Tensor {
  constructor(..._args: unknown[]) {
    unavailable('onnxruntime-node');
  }
}
