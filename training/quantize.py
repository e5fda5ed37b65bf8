"""Static INT8 quantization (QDQ, per-channel symmetric int8 weights) of an exported classifier.

Why static QDQ and not onnxruntime's dynamic mode (what the upstream shipped): dynamic quantization inserts
DynamicQuantizeLinear + ConvInteger at every layer and measured no faster than FP32 here, while QDQ is fused
by onnxruntime into QLinearConv.

    training/.venv/bin/python training/quantize.py --model models/antispoof-v1.onnx \
        --prepared /work/prepared/s80 --out models/antispoof-v1.int8.onnx --method minmax

Calibration crops are drawn from every source of the prepared folder (stratified), read exactly as the runtime
feeds them (preprocess.to_input: channel order, (pixel * scale - mean) / std, NCHW), using the contract of the
model card next to the FP32 model.
"""

import argparse
import csv
import json
import os
import random
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import onnx
from PIL import Image
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

import preprocess
import splits

METHODS = {
    "minmax": CalibrationMethod.MinMax,
    "percentile": CalibrationMethod.Percentile,
    "entropy": CalibrationMethod.Entropy,
}


def card_path(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


def load_card(model_path: Path) -> dict:
    with open(card_path(model_path)) as f:
        return json.load(f)


def calibration_crops(prepared: Path, count: int, size: int, seed: int, exclude_sources=()) -> list:
    """Crops of the training split (training/splits.py), spread evenly over sources and labels, so no camera or
    class dominates the activation ranges and the validation numbers stay those of unseen images."""
    by_group = defaultdict(list)
    with open(prepared / "prepared.csv") as f:
        rows = [row for row in csv.DictReader(f) if row["status"] == "ok"]
    for row, split in zip(rows, splits.assign(rows)):
        if split == "train" and row["source"] not in exclude_sources:
            by_group[(row["source"], row["label"])].append(row["crop"])
    rng = random.Random(seed)
    groups = sorted(by_group)
    per_group = max(1, count // len(groups))
    picked = []
    for group in groups:
        files = by_group[group]
        picked += rng.sample(files, min(per_group, len(files)))
    rng.shuffle(picked)
    crops = []
    for rel in picked[:count]:
        image = Image.open(prepared / rel).convert("RGB")
        if image.size != (size, size):
            image = image.resize((size, size), Image.BOX)
        crops.append(np.asarray(image))
    return crops


class CropReader(CalibrationDataReader):
    def __init__(self, crops, card):
        contract = preprocess.from_card(card)
        self.batches = iter([{contract.name: preprocess.to_input(c, contract)} for c in crops])

    def get_next(self):
        return next(self.batches, None)


def first_and_last_nodes(model_path: Path) -> list:
    """Names of the first Conv and the final Gemm/MatMul: the layers most sensitive to 8-bit rounding."""
    graph = onnx.load(str(model_path)).graph
    convs = [n.name for n in graph.node if n.op_type == "Conv"]
    heads = [n.name for n in graph.node if n.op_type in ("Gemm", "MatMul")]
    return convs[:1] + heads[-1:]


def compact_names(path: Path) -> None:
    """Renames nodes and internal tensors to short ids: torch.onnx's scoped names ('/stage3/stage3.2/body/...')
    took ~90 KB of an ~780 KB INT8 file. Graph inputs and outputs keep their names (the model card uses them)."""
    model = onnx.load(str(path))
    graph = model.graph
    keep = {v.name for v in graph.input} | {v.name for v in graph.output}
    mapping = {}

    def short(name: str) -> str:
        if not name or name in keep:
            return name
        if name not in mapping:
            mapping[name] = format(len(mapping), "x")
        return mapping[name]

    for init in graph.initializer:
        init.name = short(init.name)
        init.doc_string = ""
    for info in graph.value_info:
        info.name = short(info.name)
    for i, node in enumerate(graph.node):
        node.name = f"n{i:x}"
        node.doc_string = ""
        node.input[:] = [short(n) for n in node.input]
        node.output[:] = [short(n) for n in node.output]
    del graph.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def quantize(model: Path, out: Path, crops: list, card: dict, method: str, keep_fp32_ends: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(model), str(pre), skip_symbolic_shape=True)
        quantize_static(
            str(pre),
            str(out),
            CropReader(crops, card),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            weight_type=QuantType.QInt8,
            activation_type=QuantType.QUInt8,
            calibrate_method=METHODS[method],
            nodes_to_exclude=first_and_last_nodes(pre) if keep_fp32_ends else [],
            extra_options={"WeightSymmetric": True, "ActivationSymmetric": False},
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="FP32 .onnx with its card .json next to it")
    parser.add_argument("--prepared", type=Path, required=True, help="folder written by `antispoof prepare`")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--method", choices=sorted(METHODS), default="minmax")
    parser.add_argument("--calibration-size", type=int, default=300)
    parser.add_argument("--keep-fp32-ends", action="store_true", help="leave the first conv and the head in FP32")
    parser.add_argument("--exclude-sources", default="", help="comma list: keep held-out sources out of calibration")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    card = load_card(args.model) if card_path(args.model).exists() else None
    if card is None:
        raise SystemExit(f"no model card next to {args.model} (expected {card_path(args.model)})")
    excluded = tuple(s for s in args.exclude_sources.split(",") if s)
    size = preprocess.from_card(card).size
    crops = calibration_crops(args.prepared, args.calibration_size, size, args.seed, excluded)
    quantize(args.model, args.out, crops, card, args.method, args.keep_fp32_ends)
    compact_names(args.out)

    int8_card = dict(card)
    int8_card["file"] = args.out.name
    int8_card["quantization"] = {
        "format": "QDQ static",
        "weights": "int8 per-channel symmetric",
        "activations": "uint8 asymmetric",
        "calibration": {
            "method": args.method,
            "images": len(crops),
            "from": "training split only (training/splits.py)",
            "excludedSources": list(excluded),
            "seed": args.seed,
        },
        "fp32Ends": args.keep_fp32_ends,
        "fromModel": args.model.name,
    }
    with open(args.out.with_suffix(".json"), "w") as f:
        json.dump(int8_card, f, indent=2)
        f.write("\n")
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1024:.0f} KB) and {args.out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
