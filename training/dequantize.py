"""Static QDQ INT8 .onnx -> FP32 .onnx with the same (int8-rounded) weights and no activation quantization.

  training/.venv/bin/python training/dequantize.py models/antispoof-v2.int8.onnx models/antispoof-v2.onnx

Model 2.0 shipped from a candidate whose FP32 checkpoint was not kept (training/runs is not committed), so its FP32
file is made from the INT8 file: every DequantizeLinear of a constant becomes a float constant, and every
QuantizeLinear -> DequantizeLinear pair on an activation is removed. The browser runs FP32 faster than INT8 under
wasm; its scores differ from the INT8 file's only by the activation rounding (compare_quantized.py measures it).
"""
import argparse
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper


def dequantize(model: onnx.ModelProto) -> onnx.ModelProto:
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    rename = {}  # activation DQ outputs -> the float tensor the Q read
    float_inits = []
    keep = []
    producers = {o: n for n in graph.node for o in n.output}
    for node in graph.node:
        if node.op_type == 'DequantizeLinear' and node.input[0] in inits:
            q = numpy_helper.to_array(inits[node.input[0]]).astype(np.float64)
            scale = numpy_helper.to_array(inits[node.input[1]]).astype(np.float64)
            zero = (numpy_helper.to_array(inits[node.input[2]]).astype(np.float64)
                    if len(node.input) > 2 and node.input[2] else np.zeros_like(scale))
            axis = next((a.i for a in node.attribute if a.name == 'axis'), 1)
            if scale.ndim == 1 and scale.size > 1:
                shape = [1] * q.ndim
                shape[axis] = -1
                scale, zero = scale.reshape(shape), zero.reshape(shape)
            value = ((q - zero) * scale).astype(np.float32)
            float_inits.append(numpy_helper.from_array(value, node.output[0]))
        elif node.op_type == 'DequantizeLinear':
            source = producers.get(node.input[0])
            if source is None or source.op_type != 'QuantizeLinear':
                raise ValueError(f'DequantizeLinear {node.name} does not follow a QuantizeLinear')
            rename[node.output[0]] = source.input[0]
        elif node.op_type == 'QuantizeLinear':
            continue
        else:
            keep.append(node)
    for node in keep:
        for k, name in enumerate(node.input):
            node.input[k] = rename.get(name, name)
    if any(o.name in rename for o in graph.output):
        raise ValueError('a graph output is quantized; not handled')
    used = {name for node in keep for name in node.input}
    kept = [i for i in graph.initializer if i.name in used] + [i for i in float_inits if i.name in used]
    new_graph = helper.make_graph(keep, graph.name, list(graph.input), list(graph.output), initializer=kept)
    out = helper.make_model(new_graph, opset_imports=[op for op in model.opset_import if op.domain in ('', 'ai.onnx')],
                            producer_name='antispoof dequantize.py')
    out.ir_version = model.ir_version
    onnx.checker.check_model(out)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('int8')
    p.add_argument('out')
    args = p.parse_args()
    out = dequantize(onnx.load(args.int8))
    onnx.save(out, args.out)
    print(f'wrote {args.out} ({os.path.getsize(args.out) / 1024:.0f} KB, ops '
          f'{sorted({n.op_type for n in out.graph.node})})')


if __name__ == '__main__':
    main()
