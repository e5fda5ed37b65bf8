export { cropFace, cropSquare, type CropOptions } from './crop.js';
export { squareAround, reflect101, type SquareRegion } from './geometry.js';
