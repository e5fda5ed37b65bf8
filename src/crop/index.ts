export { cropFace, cropRegion, cropSquare, type CropOptions } from './crop.js';
export {
  CROP_MODES,
  reflect101,
  shiftedWindow,
  squareAround,
  type CropMode,
  type CropRegion,
  type SquareRegion,
} from './geometry.js';
