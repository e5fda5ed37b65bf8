"""Synthetic presentation attacks made from live crops, so web-photo sources (all live) also show spoofs.

Both simulators take one (H,W,3) float32 RGB image in [0,1] and return an image of the same size: the attack
artefact first (print: halftone, paper, gamut; replay: pixel grid, moire, backlight, glare), then a simulated
re-capture by a camera (blur, noise, JPEG). Strengths are random so the model cannot key on one fixed pattern.
"""
import numpy as np
from PIL import Image

from augment import blur, jpeg

ATTACKS = ('print-synthetic', 'replay-synthetic')


def to_uint8(x: np.ndarray) -> np.ndarray:
    """[0,1] floats -> uint8 pixels, rounded."""
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


def _smooth_noise(h: int, w: int, cells: int, rng: np.random.Generator) -> np.ndarray:
    small = rng.standard_normal((cells, cells)).astype(np.float32)
    return np.asarray(Image.fromarray(small, 'F').resize((w, h), Image.BICUBIC))


def _warp(x: np.ndarray, rng: np.random.Generator, amplitude: float) -> np.ndarray:
    """Slight paper bend: smooth sinusoidal displacement, bilinear gather."""
    h, w = x.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    phase = rng.uniform(0, 2 * np.pi, 2)
    period = rng.uniform(1.0, 2.5) * w
    xs = xx + amplitude * np.sin(2 * np.pi * yy / period + phase[0])
    ys = yy + amplitude * np.sin(2 * np.pi * xx / period + phase[1])
    xs, ys = np.clip(xs, 0, w - 1.001), np.clip(ys, 0, h - 1.001)
    x0, y0 = xs.astype(np.int32), ys.astype(np.int32)
    fx, fy = (xs - x0)[..., None], (ys - y0)[..., None]
    return ((x[y0, x0] * (1 - fx) + x[y0, x0 + 1] * fx) * (1 - fy)
            + (x[y0 + 1, x0] * (1 - fx) + x[y0 + 1, x0 + 1] * fx) * fy)


def recapture(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A camera filming the attack: defocus, sensor noise, JPEG."""
    img = to_uint8(x)
    if rng.random() < 0.7:
        img = blur(img, rng.uniform(0.2, 1.0))
    x = img.astype(np.float32) / 255 + rng.standard_normal(img.shape, dtype=np.float32) * rng.uniform(0.0, 0.03)
    return jpeg(to_uint8(x), rng.integers(40, 95)).astype(np.float32) / 255


def print_texture(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ink on paper, before any camera sees it."""
    h, w = x.shape[:2]
    # Gamut and contrast loss of ink on paper: compressed range, desaturation, warm paper white.
    grey = x.mean(axis=2, keepdims=True)
    x = grey + (x - grey) * rng.uniform(0.55, 0.9)
    lo, hi = rng.uniform(0.05, 0.18), rng.uniform(0.8, 0.95)
    x = lo + (hi - lo) * x
    x = x * np.array([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.85, 0.97)], np.float32)
    # Halftone: CMY screens at different angles, period of a few pixels; blended because a webcam resolves
    # the dots only partly.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    period = rng.uniform(1.5, 3.2)
    ink = 1 - x
    screened = np.empty_like(x)
    for c, angle in enumerate(np.deg2rad(np.array([15, 75, 0]) + rng.uniform(0, 90))):
        u = xx * np.cos(angle) + yy * np.sin(angle)
        v = -xx * np.sin(angle) + yy * np.cos(angle)
        screen = 0.5 + 0.25 * (np.cos(2 * np.pi * u / period) + np.cos(2 * np.pi * v / period))
        screened[..., c] = 1 - (ink[..., c] > screen).astype(np.float32)
    x = x + rng.uniform(0.05, 0.3) * (screened - x)
    # Paper texture and uneven lighting over the sheet.
    x = x * (1 + 0.04 * rng.uniform(0.3, 1) * _smooth_noise(h, w, w // 4, rng)[..., None])
    x = x * (1 + 0.15 * _smooth_noise(h, w, 3, rng)[..., None])
    if rng.random() < 0.7:
        x = _warp(x, rng, rng.uniform(0.5, 2.5))
    return x


def print_attack(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return recapture(print_texture(x, rng), rng)


def replay_texture(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The image as a display shows it, before any camera sees it."""
    h, w = x.shape[:2]
    # Display: upsample, multiply by an RGB subpixel stripe grid with dark gaps between pixel rows.
    k = 3
    big = np.asarray(Image.fromarray(to_uint8(x)).resize((w * k, h * k), Image.NEAREST)).astype(np.float32) / 255
    mask = np.full((k, k, 3), 0.15, np.float32)
    for c in range(3):
        mask[:, c, c] = 1.0
    mask[k - 1] *= rng.uniform(0.3, 0.8)
    # A webcam resolves the subpixels only partly: the grid's depth is far below its full contrast.
    mask = 1 - rng.uniform(0.1, 0.45) * (1 - mask) / (1 - mask).max()
    big = big * np.tile(mask, (h, w, 1))
    # Re-sampling the grid at a slightly rotated, non-integer scale aliases it into moire. zoom <= 1/(cos+sin)
    # keeps the sampled square inside the screen image (no black corners, a shortcut the model would learn).
    angle = np.deg2rad(rng.uniform(-5, 5))
    zoom = rng.uniform(0.8, 1 / (np.cos(angle) + abs(np.sin(angle))))
    a, b = np.cos(angle) * k * zoom, np.sin(angle) * k * zoom
    cx = cy = w * k / 2
    coeffs = (a, b, cx - a * w / 2 - b * h / 2, -b, a, cy + b * w / 2 - a * h / 2)
    img = Image.fromarray(to_uint8(big)).transform((w, h), Image.AFFINE, coeffs, Image.BILINEAR)
    y = np.asarray(img).astype(np.float32) / 255
    y = y / max(float(y.mean()), 1e-3) * float(x.mean()) * rng.uniform(0.8, 1.2)
    # Display gamma, backlight black level with a blue cast, then glare.
    y = np.clip(y, 0, 1) ** rng.uniform(0.7, 1.3)
    y = y + rng.uniform(0.02, 0.12) * np.array([0.85, 0.95, 1.1], np.float32)
    if rng.random() < 0.5:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        gx, gy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.15, 0.5) * w
        y = y + rng.uniform(0.05, 0.35) * np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * r * r))[..., None]
    return y


def replay_attack(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return recapture(replay_texture(x, rng), rng)


def synthesize(x: np.ndarray, rng: np.random.Generator):
    """Returns (attacked image, attack name); print and replay equally likely."""
    if rng.random() < 0.5:
        return print_attack(x, rng), 'print-synthetic'
    return replay_attack(x, rng), 'replay-synthetic'
