#!/usr/bin/env python3
"""MixStyle (`train.py --mixstyle`): identity in eval mode and at p=0, mixes channel statistics in training, and adds
nothing to the checkpoint.

  training/.venv/bin/python training/test_mixstyle.py

Exit 0 and 'OK mixstyle' on success; an AssertionError otherwise.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import MixStyle, create_model  # noqa: E402


def main():
    torch.manual_seed(0)
    # Two groups of samples with very different channel statistics ("cameras").
    x = torch.cat([torch.randn(4, 8, 6, 6) * 0.1 + 2.0, torch.randn(4, 8, 6, 6) * 3.0 - 1.0])
    mix = MixStyle(p=1.0, alpha=0.1)
    mix.eval()
    assert torch.equal(mix(x), x), 'eval mode must be the identity'
    off = MixStyle(p=0.0)
    off.train()
    assert torch.equal(off(x), x), 'p=0 must be the identity'
    mix.train()
    y = mix(x)
    assert y.shape == x.shape
    # Each channel of each sample keeps its pattern (a positive affine map: correlation 1) while its mean/std move
    # towards a batch partner's.
    for i in range(len(x)):
        for c in range(x.size(1)):
            corr = torch.corrcoef(torch.stack([x[i, c].flatten(), y[i, c].flatten()]))[0, 1]
            assert corr > 0.999, (i, c, float(corr))
    moved = (y.mean(dim=(2, 3)) - x.mean(dim=(2, 3))).abs().max()
    assert moved > 0.1, f'statistics did not move: {float(moved)}'
    plain = create_model('minifasnet_se_slim', 80)
    mixed = create_model('minifasnet_se_slim', 80, mixstyle=0.5)
    assert plain.state_dict().keys() == mixed.state_dict().keys(), 'MixStyle must add no parameters or buffers'
    mixed.load_state_dict(plain.state_dict())
    mixed.eval()
    plain.eval()
    z = torch.rand(2, 3, 80, 80)
    assert torch.equal(mixed(z), plain(z)), 'a MixStyle model must export exactly like the plain one'
    print('OK mixstyle')


if __name__ == '__main__':
    main()
