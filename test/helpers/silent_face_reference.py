"""Silent-Face's own crop and preprocessing, as a reference for the product's (test/silent-face.test.ts).

Follows minivision-ai/Silent-Face-Anti-Spoofing (commit b6d5f04): src/generate_patches.py CropImage._get_new_box for the
window (the scale lowered until the window fits in the image, then the window slid back inside, corners truncated to
whole pixels, both inclusive), then a resize to 80x80 ignoring the aspect ratio, BGR, float 0..255, NCHW, and softmax
over the 3 logits read at index 1 (live). Their resize is cv2.resize (bilinear, no antialiasing); the product
area-averages (cv2 INTER_AREA: each output pixel the mean of the source pixels it covers, fractional ones weighted by
coverage). `"resample": "area"` resizes that way, written here from the definition; `"bilinear"` as cv2.resize does.

Reads JSON on stdin: {"model": path.onnx, "scale": s, "resample": "area"|"bilinear",
"images": [{"rgb": raw RGB file, "width": w, "height": h, "boxes": [[x, y, w, h], ...]}]}.
Writes JSON: P(live) per image per box. Needs numpy and onnxruntime (training/.venv has them).
"""
import json
import sys

import numpy as np
import onnxruntime as ort


def get_new_box(src_w, src_h, bbox, scale):
    x, y, box_w, box_h = bbox
    scale = min((src_h - 1) / box_h, min((src_w - 1) / box_w, scale))
    new_width = box_w * scale
    new_height = box_h * scale
    center_x, center_y = box_w / 2 + x, box_h / 2 + y
    left_top_x = center_x - new_width / 2
    left_top_y = center_y - new_height / 2
    right_bottom_x = center_x + new_width / 2
    right_bottom_y = center_y + new_height / 2
    if left_top_x < 0:
        right_bottom_x -= left_top_x
        left_top_x = 0
    if left_top_y < 0:
        right_bottom_y -= left_top_y
        left_top_y = 0
    if right_bottom_x > src_w - 1:
        left_top_x -= right_bottom_x - src_w + 1
        right_bottom_x = src_w - 1
    if right_bottom_y > src_h - 1:
        left_top_y -= right_bottom_y - src_h + 1
        right_bottom_y = src_h - 1
    return int(left_top_x), int(left_top_y), int(right_bottom_x), int(right_bottom_y)


def resize_bilinear(img, out_w, out_h):
    """cv2.resize INTER_LINEAR in floating point: half-pixel centres, edges clamped, no antialiasing."""
    in_h, in_w = img.shape[:2]

    def taps(n_out, n_in):
        src = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
        lo = np.floor(src).astype(int)
        frac = src - lo
        frac[lo < 0] = 0
        lo = np.clip(lo, 0, n_in - 1)
        hi = np.clip(lo + 1, 0, n_in - 1)
        return lo, hi, frac

    y0, y1, fy = taps(out_h, in_h)
    x0, x1, fx = taps(out_w, in_w)
    f = img.astype(np.float64)
    top = f[y0][:, x0] * (1 - fx)[None, :, None] + f[y0][:, x1] * fx[None, :, None]
    bottom = f[y1][:, x0] * (1 - fx)[None, :, None] + f[y1][:, x1] * fx[None, :, None]
    out = top * (1 - fy)[:, None, None] + bottom * fy[:, None, None]
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def area_weights(n_out, n_in):
    """(n_out, n_in) matrix: output o covers source [o * r, (o + 1) * r), r = n_in / n_out, weights summing to 1."""
    r = n_in / n_out
    start = np.arange(n_out)[:, None] * r
    j = np.arange(n_in)[None, :]
    covered = np.clip(np.minimum(start + r, j + 1) - np.maximum(start, j), 0, None)
    return covered / r


def resize_area(img, out_w, out_h):
    wy = area_weights(out_h, img.shape[0])
    wx = area_weights(out_w, img.shape[1])
    rows = np.tensordot(wy, img.astype(np.float64), axes=(1, 0))  # (out_h, in_w, 3)
    out = np.tensordot(rows, wx, axes=(1, 1)).transpose(0, 2, 1)  # (out_h, out_w, 3)
    return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)


def crop(img, bbox, scale, size, resample):
    h, w = img.shape[:2]
    left, top, right, bottom = get_new_box(w, h, bbox, scale)
    region = img[top:bottom + 1, left:right + 1]
    if resample == 'bilinear':
        return resize_bilinear(region, size, size)
    if min(region.shape[:2]) < size:
        raise ValueError('the area reference only shrinks; this window is smaller than the model input')
    return resize_area(region, size, size)


def main():
    job = json.load(sys.stdin)
    session = ort.InferenceSession(job['model'])
    out = []
    for image in job['images']:
        rgb = np.fromfile(image['rgb'], dtype=np.uint8).reshape(image['height'], image['width'], 3)
        crops = [crop(rgb, box, job['scale'], 80, job['resample']) for box in image['boxes']]
        if not crops:
            out.append([])
            continue
        bgr = np.stack(crops)[..., ::-1].astype(np.float32)  # BGR, 0..255
        logits = session.run(None, {'input': np.ascontiguousarray(bgr.transpose(0, 3, 1, 2))})[0].astype(np.float64)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        out.append((e[:, 1] / e.sum(axis=1)).tolist())
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
