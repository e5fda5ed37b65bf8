"""Training augmentation: geometry on the uint8 context crop, then photometric jitter on float batches.

Geometry keeps the aspect ratio (no stretching, no 90-degree rotations: faces at inference are upright crops of
the same scale): a random square window of the larger context crop, resized to the input size. Photometric ops are
vectorised over the batch; only JPEG and blur go through PIL per image, on a random subset.
"""
import io

import numpy as np
from PIL import Image, ImageFilter


def random_window(context: np.ndarray, size: int, rng: np.random.Generator, scale=(0.88, 1.12), shift=0.06,
                  train: bool = True) -> np.ndarray:
    """Square window of a CxC context crop -> size x size. Scale 1 / shift 0 is the inference crop of the same face up
    to resampling (test_preprocess.py: mean |diff| 0.2-1.5 8-bit levels on npm sample photos at 80 px); C is
    round(1.25 size), as `antispoof prepare` writes it, hence `base`."""
    c = context.shape[0]
    base = c * size / round(1.25 * size)
    side = base * (rng.uniform(*scale) if train else 1.0)
    side = min(side, c)
    room = (c - side) / 2
    dx, dy = (rng.uniform(-1, 1, 2) * min(room, shift * base)) if train else (0.0, 0.0)
    x0, y0 = (c - side) / 2 + dx, (c - side) / 2 + dy
    img = Image.fromarray(context)
    return np.asarray(img.resize((size, size), Image.BILINEAR, box=(x0, y0, x0 + side, y0 + side), reducing_gap=None))


def centred_window(context: np.ndarray, size: int, factor: float) -> np.ndarray:
    """The inference crop's window scaled by factor about the face centre (a model card's `crop.views`)."""
    return random_window(context, size, np.random.default_rng(0), (factor, factor), 0.0)


def tight_frame(context: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """The face as a tight-crop source shows it: only the face box (0.9-1.1x) is image, resized to the face's share
    of the crop (size / 1.5), and the rest of the crop is its reflect-101 padding, as the product's crop pads an
    image that is all face. The context crop is 1.875x the face box."""
    c = context.shape[0]
    side = c / 1.875 * rng.uniform(0.9, 1.1)
    x0 = (c - side) / 2
    face = round(size / 1.5)
    img = Image.fromarray(context).resize((face, face), Image.BILINEAR, box=(x0, x0, x0 + side, x0 + side),
                                          reducing_gap=None)
    before = (size - face) // 2
    pad = ((before, size - face - before), (before, size - face - before), (0, 0))
    return np.pad(np.asarray(img), pad, mode='reflect')  # numpy 'reflect' repeats no edge pixel: reflect-101


WINDOW_SCALE = (0.88, 1.12)
WINDOW_SHIFT = 0.06


def geometric(contexts: np.ndarray, size: int, rng: np.random.Generator, scale=WINDOW_SCALE,
              shift=WINDOW_SHIFT, tight_share: float = 0.0) -> np.ndarray:
    """(B,C,C,3) uint8 contexts -> (B,size,size,3) uint8 with random window (a tight_frame for a tight_share of
    them) and horizontal flip."""
    tight = rng.random(len(contexts)) < tight_share if tight_share > 0 else np.zeros(len(contexts), bool)
    out = np.stack([tight_frame(c, size, rng) if t else random_window(c, size, rng, scale, shift)
                    for c, t in zip(contexts, tight)])
    flip = rng.random(len(out)) < 0.5
    out[flip] = out[flip, :, ::-1]
    return out


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, 'JPEG', quality=int(quality))
    buf.seek(0)
    return np.asarray(Image.open(buf).convert('RGB'))


def blur(img: np.ndarray, radius: float) -> np.ndarray:
    return np.asarray(Image.fromarray(img).filter(ImageFilter.GaussianBlur(radius)))


def photometric(batch: np.ndarray, rng: np.random.Generator, p_jpeg=0.3, p_blur=0.2, p_dark=0.15) -> np.ndarray:
    """(B,H,W,3) uint8 -> (B,H,W,3) float32 in [0,1]."""
    b = len(batch)
    batch = batch.copy()
    for i in np.flatnonzero(rng.random(b) < p_blur):
        batch[i] = blur(batch[i], rng.uniform(0.3, 1.2))
    for i in np.flatnonzero(rng.random(b) < p_jpeg):
        batch[i] = jpeg(batch[i], rng.integers(30, 95))
    x = batch.astype(np.float32) / 255.0
    shape = (b, 1, 1, 1)
    # Colour temperature: warm/cool gain on R and B.
    t = rng.uniform(-0.12, 0.12, (b, 1, 1))
    x[..., 0] *= 1 + t
    x[..., 2] *= 1 - t
    gamma = np.exp(rng.uniform(-0.35, 0.35, shape)).astype(np.float32)
    x = np.clip(x, 0, 1) ** gamma
    contrast = rng.uniform(0.7, 1.3, shape).astype(np.float32)
    brightness = rng.uniform(-0.12, 0.12, shape).astype(np.float32)
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    x = (x - mean) * contrast + mean + brightness
    # Low light: darken, then sensor noise that is strong relative to the signal.
    dark = rng.random(b) < p_dark
    x[dark] *= rng.uniform(0.25, 0.6, (dark.sum(), 1, 1, 1)).astype(np.float32)
    sigma = np.where(dark, rng.uniform(0.02, 0.06, b), rng.uniform(0, 0.02, b)).astype(np.float32)
    x += rng.standard_normal(x.shape, dtype=np.float32) * sigma[:, None, None, None]
    return np.clip(x, 0, 1, out=x)
