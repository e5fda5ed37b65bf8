"""MiniFASNetV2-SE-class anti-spoofing CNN: blocks, the model, and a registry (timm style, no training logic).

Backbone at input S (80 or 128): stem /2 -> stage1 /4 -> stage2 /8 -> stage3 /16 -> global depthwise conv
-> 128-d embedding -> 2 logits, class order [live, spoof].

The Fourier head (training only) decodes the stage1 map (S/4 x S/4, 20x20 at 80 px, 32x32 at 128 px) into the
log-magnitude spectrum of the input, pooled to the same S/4 grid (see `fourier_target`). Tapping stage1 rather than
upstream's 10x10 stage keeps the spectrum's outer rings, where screen pixel grids, moire and print halftone put
their energy; `forward(x, with_fourier=False)` and export drop the head entirely.
"""
from typing import Callable, Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

LABELS = ('live', 'spoof')


class ConvBN(nn.Sequential):
    def __init__(self, cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1, act: bool = True):
        layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        if act:
            layers.append(nn.PReLU(cout))
        super().__init__(*layers)


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1)
        self.fc2 = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = F.adaptive_avg_pool2d(x, 1)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(w))))


class DepthWiseBlock(nn.Module):
    """1x1 expand -> 3x3 depthwise (stride) -> 1x1 project (linear); residual when shapes match."""

    def __init__(self, cin: int, cout: int, stride: int = 1, expand: int = 2):
        super().__init__()
        mid = cin * expand
        self.body = nn.Sequential(
            ConvBN(cin, mid, 1), ConvBN(mid, mid, 3, stride, groups=mid), ConvBN(mid, cout, 1, act=False)
        )
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.residual else y


def make_stage(cin: int, cout: int, depth: int, expand: int) -> nn.Sequential:
    blocks = [DepthWiseBlock(cin, cout, 2, expand)]
    blocks += [DepthWiseBlock(cout, cout, 1, expand) for _ in range(depth)]
    blocks.append(SqueezeExcite(cout))
    return nn.Sequential(*blocks)


class FourierHead(nn.Module):
    """Small conv decoder: stage1 feature map -> one-channel spectrum map at the same resolution."""

    def __init__(self, cin: int, mid: int = 48):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, mid, 3, padding=1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
            nn.Conv2d(mid, mid, 3, padding=1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
            nn.Conv2d(mid, 1, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class MixStyle(nn.Module):
    """MixStyle (Zhou et al., ICLR 2021), training only: with probability p, each sample's per-channel feature mean and
    std are replaced by a Beta(alpha, alpha) mix of its own and another batch sample's. Channel statistics of early
    layers carry camera and lighting "style"; mixing them across sources asks the classifier to decide from the
    rest. No parameters, identity in eval mode, so checkpoints and the export are unchanged."""

    def __init__(self, p: float = 0.0, alpha: float = 0.1, eps: float = 1e-6):
        super().__init__()
        self.p, self.alpha, self.eps = p, alpha, eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p <= 0 or x.size(0) < 2 or torch.rand(()) > self.p:
            return x
        mu = x.mean(dim=(2, 3), keepdim=True).detach()
        sig = (x.var(dim=(2, 3), keepdim=True) + self.eps).sqrt().detach()
        lam = torch.distributions.Beta(self.alpha, self.alpha).sample((x.size(0), 1, 1, 1)).to(x.dtype)
        perm = torch.randperm(x.size(0))
        mu_mix = lam * mu + (1 - lam) * mu[perm]
        sig_mix = lam * sig + (1 - lam) * sig[perm]
        return (x - mu) / sig * sig_mix + mu_mix


class MiniFASNetSE(nn.Module):
    def __init__(self, input_size: int = 80, widths=(32, 64, 128, 128), depths=(2, 2, 2), expand: int = 2,
                 embedding: int = 128, head_width: int = 0, num_classes: int = 2, dropout: float = 0.2,
                 fourier_head: bool = True, mixstyle: float = 0.0):
        super().__init__()
        if input_size % 16:
            raise ValueError(f'input_size must be a multiple of 16, got {input_size}')
        self.input_size = input_size
        w0, w1, w2, w3 = widths
        self.stem = nn.Sequential(ConvBN(3, w0, 3, 2), ConvBN(w0, w0, 3, 1, groups=w0))
        self.stage1 = make_stage(w0, w1, depths[0], expand)
        self.stage2 = make_stage(w1, w2, depths[1], expand)
        self.stage3 = make_stage(w2, w3, depths[2], expand)
        head_width = head_width or 4 * w3
        grid = input_size // 16
        self.conv_head = ConvBN(w3, head_width, 1)
        # Global depthwise conv (MobileFaceNet GDC): position-aware pooling, as MiniFASNet does.
        self.gdc = ConvBN(head_width, head_width, grid, 1, groups=head_width, act=False)
        self.gdc[0].padding = (0, 0)
        self.embed = nn.Sequential(nn.Flatten(), nn.Linear(head_width, embedding, bias=False), nn.BatchNorm1d(embedding))
        self.drop = nn.Dropout(dropout)
        self.classifier = nn.Linear(embedding, num_classes)
        self.fourier = FourierHead(w1) if fourier_head else None
        # After the stem and after stage1 (the Fourier head reads stage1 unmixed: its target is the real input's).
        self.mix_stem = MixStyle(mixstyle)
        self.mix_stage1 = MixStyle(mixstyle)

    def forward(self, x: torch.Tensor, with_fourier: bool = False):
        f1 = self.stage1(self.mix_stem(self.stem(x)))
        y = self.stage3(self.stage2(self.mix_stage1(f1)))
        logits = self.classifier(self.drop(self.embed(self.gdc(self.conv_head(y)))))
        if with_fourier:
            if self.fourier is None:
                raise ValueError('model was built without a Fourier head')
            return logits, self.fourier(f1).squeeze(1)
        return logits


class SfConv(nn.Module):
    """Silent-Face's Conv_block (conv, BN, PReLU) / Linear_block (no PReLU), with their state-dict key names."""

    def __init__(self, cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1, act: bool = True,
                 padding: Optional[int] = None):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2 if padding is None else padding, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.prelu = nn.PReLU(cout) if act else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn(self.conv(x))
        return self.prelu(x) if self.prelu is not None else x


class SfDepthWise(nn.Module):
    """Silent-Face's Depth_Wise: 1x1 expand -> 3x3 depthwise -> 1x1 linear project, residual inside Residual."""

    def __init__(self, cin: int, mid: int, cout: int, stride: int, residual: bool):
        super().__init__()
        self.conv = SfConv(cin, mid, 1)
        self.conv_dw = SfConv(mid, mid, 3, stride, groups=mid)
        self.project = SfConv(mid, cout, 1, act=False)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.conv_dw(self.conv(x)))
        return x + y if self.residual else y


class SfResidual(nn.Module):
    def __init__(self, channels: int, mids):
        super().__init__()
        self.model = nn.Sequential(*[SfDepthWise(channels, m, channels, 1, True) for m in mids])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class MiniFASNetV2(nn.Module):
    """Silent-Face's MiniFASNetV2 (minivision, Apache-2.0; a pruned MobileFaceNet), layer for layer, so the released
    `2.7_80x80_MiniFASNetV2.pth` loads strictly (load_silent_face) and reproduces its .onnx logits
    (test_silent_face.py). Input: BGR 0..255, 80x80. Output: 3 logits, index 1 = live (indices 0 and 2: attacks).
    The channel widths are those of the released weights (their `keep` list after pruning). The Fourier head is
    ours, added fresh: it reads conv_23 (64 x S/4 x S/4) as MiniFASNetSE's head reads stage1."""

    LIVE_INDEX = 1

    def __init__(self, input_size: int = 80, fourier_head: bool = False, dropout: float = 0.0, **_):
        super().__init__()
        if input_size != 80:
            raise ValueError('the released MiniFASNetV2 weights are for 80x80 input (conv_6_dw is 5x5)')
        self.input_size = input_size
        self.conv1 = SfConv(3, 32, 3, 2)
        self.conv2_dw = SfConv(32, 32, 3, 1, groups=32)
        self.conv_23 = SfDepthWise(32, 103, 64, 2, False)
        self.conv_3 = SfResidual(64, (13, 13, 13, 13))
        self.conv_34 = SfDepthWise(64, 231, 128, 2, False)
        self.conv_4 = SfResidual(128, (231, 52, 26, 77, 26, 26))
        self.conv_45 = SfDepthWise(128, 308, 128, 2, False)
        self.conv_5 = SfResidual(128, (26, 26))
        self.conv_6_sep = SfConv(128, 512, 1)
        self.conv_6_dw = SfConv(512, 512, 5, 1, groups=512, act=False, padding=0)
        self.linear = nn.Linear(512, 128, bias=False)
        self.bn = nn.BatchNorm1d(128)
        self.drop = nn.Dropout(dropout)
        self.prob = nn.Linear(128, 3, bias=False)
        self.fourier = FourierHead(64) if fourier_head else None

    def forward(self, x: torch.Tensor, with_fourier: bool = False):
        f = self.conv_23(self.conv2_dw(self.conv1(x)))
        y = self.conv_5(self.conv_45(self.conv_4(self.conv_34(self.conv_3(f)))))
        y = self.conv_6_dw(self.conv_6_sep(y)).flatten(1)
        logits = self.prob(self.drop(self.bn(self.linear(y))))
        if with_fourier:
            if self.fourier is None:
                raise ValueError('model was built without a Fourier head')
            return logits, self.fourier(f).squeeze(1)
        return logits


def load_silent_face(model: MiniFASNetV2, path: str) -> MiniFASNetV2:
    """Loads a released Silent-Face state dict (saved from DataParallel: keys prefixed `module.`) strictly; a Fourier
    head, ours, keeps its fresh weights."""
    state = torch.load(path, map_location='cpu')
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.startswith('fourier.')]
    if missing or unexpected:
        raise ValueError(f'{path} does not match MiniFASNetV2: missing {missing[:5]}, unexpected {unexpected[:5]}')
    return model


def fourier_target(x: torch.Tensor, grid: int) -> torch.Tensor:
    """Per-image standardised log-magnitude spectrum of the grey input, max-pooled to grid x grid.

    x: (N,3,S,S) un-normalised RGB in [0,1], exactly what the network sees. The FFT is taken at the input resolution
    so frequencies up to Nyquist are present; max-pooling (not resizing the image first) keeps narrow spectral peaks
    of pixel grids and halftone screens, which averaging would dilute 16-fold.
    """
    grey = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    spec = torch.fft.fftshift(torch.fft.fft2(grey), dim=(-2, -1)).abs()
    spec = torch.log1p(spec)
    spec = F.adaptive_max_pool2d(spec.unsqueeze(1), grid).squeeze(1)
    mean = spec.mean(dim=(-2, -1), keepdim=True)
    std = spec.std(dim=(-2, -1), keepdim=True)
    return (spec - mean) / (std + 1e-6)


_REGISTRY: Dict[str, Callable[..., MiniFASNetSE]] = {}


def register(fn: Callable[..., MiniFASNetSE]) -> Callable[..., MiniFASNetSE]:
    _REGISTRY[fn.__name__] = fn
    return fn


@register
def minifasnet_se(input_size: int = 80, **kwargs) -> MiniFASNetSE:
    return MiniFASNetSE(input_size=input_size, **kwargs)


@register
def minifasnet_se_slim(input_size: int = 80, **kwargs) -> MiniFASNetSE:
    """0.44M parameters, so the static INT8 export fits 600 KB: the 1x1 head is 256 wide, not 512 (the head's
    two 128x512 matrices were a quarter of the weights), and stage3 has one block after its downsampling, not two."""
    kwargs = {'depths': (2, 2, 1), 'head_width': 256, **kwargs}
    return MiniFASNetSE(input_size=input_size, **kwargs)


@register
def minifasnet_v2(input_size: int = 80, **kwargs) -> MiniFASNetV2:
    """Silent-Face's MiniFASNetV2 (fine-tuned from its released weights: finetune.py)."""
    return MiniFASNetV2(input_size=input_size, **kwargs)


def create_model(name: str, input_size: int = 80, **kwargs) -> MiniFASNetSE:
    if name not in _REGISTRY:
        raise KeyError(f'unknown model {name!r}; known: {sorted(_REGISTRY)}')
    return _REGISTRY[name](input_size=input_size, **kwargs)


def count_parameters(model: nn.Module, include_fourier: bool = False) -> int:
    return sum(p.numel() for n, p in model.named_parameters() if include_fourier or not n.startswith('fourier.'))
