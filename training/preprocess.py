"""The input contract: how crop pixels become model input, read from (and written to) the model card.

One place for it on the Python side, as `src/classify/` reads it on the TypeScript side: training, export,
quantization, soft labels and the FP32/INT8 comparison all call `to_input` (uint8 crops) or `from_unit` (the [0,1]
float batches of augment.photometric) with a `Contract`, and export writes the card's `input` and `crop` from the
same object, so the card and the code cannot disagree.

    value = (pixel * scale - mean[c]) / std[c], channels in `channel_order`, layout NCHW

`DEFAULT_FOR(size)` is what every shipped model uses: scale 1/255, mean 0, std 1, RGB. On [0,1] floats it is the
identity (255 * (1/255) == 1.0 exactly in float64), so training batches are bit-identical to those before the contract
existed (test_preprocess.py checks it).
"""
import json
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

DEFAULT_CROP_SCALE = 1.5


@dataclass(frozen=True)
class Contract:
    size: int
    scale: float = 1 / 255
    mean: Tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: Tuple[float, float, float] = (1.0, 1.0, 1.0)
    channel_order: str = 'RGB'
    layout: str = 'NCHW'
    crop_scale: float = DEFAULT_CROP_SCALE
    name: str = 'input'

    def __post_init__(self):
        if self.channel_order not in ('RGB', 'BGR'):
            raise ValueError(f'channelOrder must be RGB or BGR, not {self.channel_order!r}')
        if self.layout != 'NCHW':
            raise ValueError(f'layout must be NCHW, not {self.layout!r}')
        if len(self.mean) != 3 or len(self.std) != 3 or any(s == 0 for s in self.std):
            raise ValueError(f'mean and std need 3 values, std non-zero: mean {self.mean}, std {self.std}')

    def card_input(self) -> dict:
        """The card's `input` object (the keys src/classify/ reads)."""
        return {'name': self.name, 'size': self.size, 'layout': self.layout, 'channelOrder': self.channel_order,
                'scale': self.scale, 'mean': _plain(self.mean), 'std': _plain(self.std)}

    def card_crop(self) -> dict:
        return {'scale': self.crop_scale}


def _plain(values):
    return [int(v) if float(v).is_integer() else float(v) for v in values]


def DEFAULT_FOR(size: int, crop_scale: Optional[float] = None) -> Contract:  # noqa: N802 (a constant per size)
    """What export.py writes: scale 1/255, mean 0, std 1, RGB, NCHW; crop scale from prepare.json or 1.5."""
    return Contract(size=int(size), crop_scale=float(crop_scale) if crop_scale else DEFAULT_CROP_SCALE)


def from_card(card) -> Contract:
    """Contract of a model card: a dict or the path of its .json."""
    if isinstance(card, str):
        with open(card) as f:
            card = json.load(f)
    spec = card['input']
    return Contract(size=int(spec['size']), scale=float(spec['scale']), mean=tuple(float(v) for v in spec['mean']),
                    std=tuple(float(v) for v in spec['std']), channel_order=spec.get('channelOrder', 'RGB'),
                    layout=spec.get('layout', 'NCHW'),
                    crop_scale=float(card.get('crop', {}).get('scale', DEFAULT_CROP_SCALE)),
                    name=spec.get('name', 'input'))


def _normalise(x: np.ndarray, factor: float, contract: Contract) -> np.ndarray:
    """x (N,H,W,3) in units of pixel / `factor` -> (N,3,H,W) float32 model input."""
    if contract.channel_order == 'BGR':
        x = x[..., ::-1]
    # In float64, rounded once to float32: what src/classify/tensor.ts does (double arithmetic into a Float32Array),
    # and for the default contract bit-identical to the old `pixel.astype(float32) / 255` (all 256 levels checked).
    mean = np.asarray(contract.mean, np.float64)
    std = np.asarray(contract.std, np.float64)
    x = (x.astype(np.float64) * (factor * contract.scale) - mean) / std
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2), dtype=np.float32)


def to_input(crops: np.ndarray, contract: Contract) -> np.ndarray:
    """(N,H,W,3) uint8 RGB crops (or one (H,W,3) crop) -> (N,3,H,W) float32 model input."""
    crops = np.asarray(crops)
    if crops.dtype != np.uint8:
        raise TypeError(f'to_input wants uint8 pixels, got {crops.dtype}')
    if crops.ndim == 3:
        crops = crops[None]
    return _normalise(crops, 1.0, contract)


def from_unit(batch: np.ndarray, contract: Contract) -> np.ndarray:
    """(N,3,H,W) float32 RGB in [0,1] (pixel / 255: augment.photometric's batches, transposed) -> model input.
    The identity, bit for bit, for DEFAULT_FOR(size)."""
    x = np.asarray(batch, np.float32).transpose(0, 2, 3, 1)
    return _normalise(x, 255.0, contract)
