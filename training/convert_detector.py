"""Convert MediaPipe BlazeFace short-range (.tflite) to ONNX and verify it against the TFLite interpreter.

Usage:
  training/.venv/bin/python training/convert_detector.py \
      [node_modules/@mediapipe/face_detection/face_detection_short_range.tflite] \
      [--out models/face_detection_short_range.onnx] [--image node_modules/@vladmandic/face-api/demo/sample1.jpg]

The ONNX graph keeps the TFLite interface exactly:
  input           float32 [1,128,128,3]  NHWC, RGB scaled to [-1, 1]
  regressors      float32 [1,896,16]     raw box/keypoint offsets (decoded in src/detect/decode.ts)
  classificators  float32 [1,896,1]      raw logits (sigmoid applied in TypeScript)
Internally the graph runs NCHW: one Transpose after the input, and a Transpose back before every RESHAPE so that
the flattening order matches TFLite's NHWC memory layout. fp16 weights are dequantized to float32 at conversion.

Exits 1 when the max abs difference between TFLite and ONNX outputs exceeds 1e-3 on any verification input.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import tflite
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

DEFAULT_TFLITE = 'node_modules/@mediapipe/face_detection/face_detection_short_range.tflite'
DEFAULT_OUT = 'models/face_detection_short_range.onnx'
DEFAULT_IMAGE = 'node_modules/@vladmandic/face-api/demo/sample1.jpg'
TOLERANCE = 1e-3

OP_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith('_')}
NHWC_TO_NCHW = [0, 3, 1, 2]
NCHW_TO_NHWC = [0, 2, 3, 1]


class Converter:
    def __init__(self, model_bytes: bytes):
        self.model = tflite.Model.GetRootAsModel(model_bytes, 0)
        if self.model.SubgraphsLength() != 1:
            raise ValueError('expected a single subgraph')
        self.graph = self.model.Subgraphs(0)
        self.nodes = []
        self.initializers = []
        self.constants = {}  # tflite tensor index -> numpy array (after dequantize)
        self.names = {}  # tflite tensor index -> onnx value name (NCHW for 4-D tensors)
        self.rank = {}  # tflite tensor index -> rank
        self.counter = 0

    # ---------- helpers ----------
    def tensor(self, index):
        return self.graph.Tensors(index)

    def shape(self, index):
        t = self.tensor(index)
        return [int(d) for d in t.ShapeAsNumpy()] if t.ShapeLength() else []

    def buffer_array(self, index):
        t = self.tensor(index)
        data = self.model.Buffers(t.Buffer()).DataAsNumpy()
        if isinstance(data, int) or len(data) == 0:
            return None
        dtype = {
            tflite.TensorType.FLOAT32: np.float32,
            tflite.TensorType.FLOAT16: np.float16,
            tflite.TensorType.INT32: np.int32,
            tflite.TensorType.INT64: np.int64,
        }[t.Type()]
        return np.frombuffer(data.tobytes(), dtype=dtype).reshape(self.shape(index))

    def constant(self, index):
        if index in self.constants:
            return self.constants[index]
        arr = self.buffer_array(index)
        if arr is None:
            raise ValueError(f'tensor {self.tensor(index).Name()} is not a constant')
        return arr

    def fresh(self, base):
        self.counter += 1
        return f'{base}__{self.counter}'

    def add_initializer(self, base, array):
        name = self.fresh(base)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op, inputs, base, **attrs):
        out = self.fresh(base)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def activation(self, value, fused, base):
        if fused == tflite.ActivationFunctionType.NONE:
            return value
        if fused == tflite.ActivationFunctionType.RELU:
            return self.node('Relu', [value], base + '_relu')
        raise NotImplementedError(f'fused activation {fused}')

    @staticmethod
    def same_pads(in_size, kernel, stride, dilation):
        # TFLite SAME: output = ceil(in / stride); the odd pixel of padding goes after (bottom/right).
        out = -(-in_size // stride)
        eff = (kernel - 1) * dilation + 1
        total = max((out - 1) * stride + eff - in_size, 0)
        return total // 2, total - total // 2

    def conv_pads(self, padding, in_shape_nhwc, kh, kw, sh, sw, dh, dw):
        if padding == tflite.Padding.VALID:
            return [0, 0, 0, 0]
        top, bottom = self.same_pads(in_shape_nhwc[1], kh, sh, dh)
        left, right = self.same_pads(in_shape_nhwc[2], kw, sw, dw)
        return [top, left, bottom, right]

    # ---------- op converters ----------
    def convert(self):
        g = self.graph
        for i in range(g.InputsLength()):
            idx = g.Inputs(i)
            name = self.tensor(idx).Name().decode()
            self.names[idx] = self.node('Transpose', [name], 'input_nchw', perm=NHWC_TO_NCHW)
            self.rank[idx] = 4
        for i in range(g.OperatorsLength()):
            op = g.Operators(i)
            code = self.model.OperatorCodes(op.OpcodeIndex())
            op_name = OP_NAMES[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
            handler = getattr(self, 'op_' + op_name.lower(), None)
            if handler is None:
                raise NotImplementedError(f'TFLite op {op_name} is not supported by this converter')
            handler(op, list(op.InputsAsNumpy()), list(op.OutputsAsNumpy()))

        graph_outputs = []
        for i in range(g.OutputsLength()):
            idx = g.Outputs(i)
            name = self.tensor(idx).Name().decode()
            value = self.names[idx]
            if self.rank[idx] == 4:
                value = self.node('Transpose', [value], name + '_nhwc', perm=NCHW_TO_NHWC)
            self.nodes.append(helper.make_node('Identity', [value], [name], name=name))
            graph_outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, self.shape(idx)))
        graph_inputs = [
            helper.make_tensor_value_info(self.tensor(g.Inputs(i)).Name().decode(), TensorProto.FLOAT,
                                          self.shape(g.Inputs(i)))
            for i in range(g.InputsLength())
        ]
        graph = helper.make_graph(self.nodes, 'blazeface_short_range', graph_inputs, graph_outputs,
                                  self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)],
                                  producer_name='antispoof/training/convert_detector.py')
        model.ir_version = 8
        onnx.checker.check_model(model, full_check=True)
        return model

    def op_dequantize(self, op, ins, outs):
        self.constants[outs[0]] = self.constant(ins[0]).astype(np.float32)

    def op_relu(self, op, ins, outs):
        self.names[outs[0]] = self.node('Relu', [self.names[ins[0]]], 'relu')
        self.rank[outs[0]] = self.rank[ins[0]]

    def op_conv_2d(self, op, ins, outs):
        o = tflite.Conv2DOptions()
        o.Init(op.BuiltinOptions().Bytes, op.BuiltinOptions().Pos)
        kernel = self.constant(ins[1])  # [out, kh, kw, in]
        bias = self.constant(ins[2]) if len(ins) > 2 and ins[2] >= 0 else None
        _, kh, kw, _ = kernel.shape
        pads = self.conv_pads(o.Padding(), self.shape(ins[0]), kh, kw, o.StrideH(), o.StrideW(),
                              o.DilationHFactor(), o.DilationWFactor())
        inputs = [self.names[ins[0]], self.add_initializer('conv_w', np.ascontiguousarray(kernel.transpose(0, 3, 1, 2)))]
        if bias is not None:
            inputs.append(self.add_initializer('conv_b', bias.astype(np.float32)))
        out = self.node('Conv', inputs, 'conv', kernel_shape=[kh, kw], strides=[o.StrideH(), o.StrideW()],
                        dilations=[o.DilationHFactor(), o.DilationWFactor()], pads=pads, group=1)
        self.names[outs[0]] = self.activation(out, o.FusedActivationFunction(), 'conv')
        self.rank[outs[0]] = 4

    def op_depthwise_conv_2d(self, op, ins, outs):
        o = tflite.DepthwiseConv2DOptions()
        o.Init(op.BuiltinOptions().Bytes, op.BuiltinOptions().Pos)
        kernel = self.constant(ins[1])  # [1, kh, kw, in * multiplier]
        bias = self.constant(ins[2]) if len(ins) > 2 and ins[2] >= 0 else None
        _, kh, kw, out_channels = kernel.shape
        in_channels = self.shape(ins[0])[3]
        pads = self.conv_pads(o.Padding(), self.shape(ins[0]), kh, kw, o.StrideH(), o.StrideW(),
                              o.DilationHFactor(), o.DilationWFactor())
        # ONNX grouped conv weight [out, 1, kh, kw]; output channel c*m+k reads input channel c, as in TFLite.
        weight = np.ascontiguousarray(kernel.transpose(3, 0, 1, 2))
        inputs = [self.names[ins[0]], self.add_initializer('dw_w', weight)]
        if bias is not None:
            inputs.append(self.add_initializer('dw_b', bias.astype(np.float32)))
        assert out_channels == in_channels * o.DepthMultiplier(), 'depth multiplier mismatch'
        out = self.node('Conv', inputs, 'dwconv', kernel_shape=[kh, kw], strides=[o.StrideH(), o.StrideW()],
                        dilations=[o.DilationHFactor(), o.DilationWFactor()], pads=pads, group=in_channels)
        self.names[outs[0]] = self.activation(out, o.FusedActivationFunction(), 'dwconv')
        self.rank[outs[0]] = 4

    def op_add(self, op, ins, outs):
        o = tflite.AddOptions()
        fused = tflite.ActivationFunctionType.NONE
        if op.BuiltinOptions() is not None:
            o.Init(op.BuiltinOptions().Bytes, op.BuiltinOptions().Pos)
            fused = o.FusedActivationFunction()
        # Both operands are activations in BlazeFace; constant operands would need a layout-aware broadcast.
        operands = [self.names[idx] for idx in ins]
        out = self.node('Add', operands, 'add')
        self.names[outs[0]] = self.activation(out, fused, 'add')
        self.rank[outs[0]] = max(self.rank.get(i, 0) for i in ins)

    def op_max_pool_2d(self, op, ins, outs):
        o = tflite.Pool2DOptions()
        o.Init(op.BuiltinOptions().Bytes, op.BuiltinOptions().Pos)
        kh, kw = o.FilterHeight(), o.FilterWidth()
        pads = self.conv_pads(o.Padding(), self.shape(ins[0]), kh, kw, o.StrideH(), o.StrideW(), 1, 1)
        out = self.node('MaxPool', [self.names[ins[0]]], 'maxpool', kernel_shape=[kh, kw],
                        strides=[o.StrideH(), o.StrideW()], pads=pads)
        self.names[outs[0]] = self.activation(out, o.FusedActivationFunction(), 'maxpool')
        self.rank[outs[0]] = 4

    def op_pad(self, op, ins, outs):
        paddings = self.constant(ins[1]).astype(np.int64)  # [rank, 2] in tensor (NHWC) axis order
        if self.rank[ins[0]] == 4:
            paddings = paddings[NHWC_TO_NCHW]
        pads = np.concatenate([paddings[:, 0], paddings[:, 1]])
        out = self.node('Pad', [self.names[ins[0]], self.add_initializer('pads', pads)], 'pad', mode='constant')
        self.names[outs[0]] = out
        self.rank[outs[0]] = self.rank[ins[0]]

    def op_reshape(self, op, ins, outs):
        value = self.names[ins[0]]
        if self.rank[ins[0]] == 4:
            value = self.node('Transpose', [value], 'to_nhwc', perm=NCHW_TO_NHWC)
        new_shape = np.array(self.shape(outs[0]), dtype=np.int64)
        self.names[outs[0]] = self.node('Reshape', [value, self.add_initializer('shape', new_shape)], 'reshape')
        self.rank[outs[0]] = len(new_shape)
        if len(new_shape) == 4:  # back to the NCHW convention used for every 4-D value
            self.names[outs[0]] = self.node('Transpose', [self.names[outs[0]]], 'to_nchw', perm=NHWC_TO_NCHW)

    def op_concatenation(self, op, ins, outs):
        o = tflite.ConcatenationOptions()
        o.Init(op.BuiltinOptions().Bytes, op.BuiltinOptions().Pos)
        rank = self.rank[ins[0]]
        axis = o.Axis() % rank
        if rank == 4:
            axis = NHWC_TO_NCHW.index(axis)
        out = self.node('Concat', [self.names[i] for i in ins], 'concat', axis=axis)
        self.names[outs[0]] = self.activation(out, o.FusedActivationFunction(), 'concat')
        self.rank[outs[0]] = rank


def scores(logits):
    # Clipped sigmoid, as src/detect/decode.ts applies it.
    return 1 / (1 + np.exp(-np.clip(logits.astype(np.float64), -100, 100)))


def run_tflite(path, x):
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path))
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]['index'], x)
    interp.invoke()
    return {d['name']: interp.get_tensor(d['index']).copy() for d in interp.get_output_details()}


def verification_inputs(image_path):
    img = Image.open(image_path).convert('RGB').resize((128, 128), Image.BILINEAR)
    real = (np.asarray(img, dtype=np.float32) / 127.5 - 1.0)[None]
    rng = np.random.default_rng(1234)
    yield f'image {image_path}', real
    for k in range(3):
        yield f'uniform noise #{k}', rng.uniform(-1, 1, size=(1, 128, 128, 3)).astype(np.float32)
    yield 'constant grey', np.zeros((1, 128, 128, 3), np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('tflite', nargs='?', default=DEFAULT_TFLITE)
    parser.add_argument('--out', default=DEFAULT_OUT)
    parser.add_argument('--image', default=DEFAULT_IMAGE)
    args = parser.parse_args()

    model = Converter(Path(args.tflite).read_bytes()).convert()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, args.out)
    print(f'wrote {args.out} ({Path(args.out).stat().st_size} bytes, {len(model.graph.node)} nodes, opset 13)')

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    session = ort.InferenceSession(args.out, opts, providers=['CPUExecutionProvider'])
    worst = 0.0
    for label, x in verification_inputs(args.image):
        expected = run_tflite(args.tflite, x)
        got = dict(zip([o.name for o in session.get_outputs()], session.run(None, {'input': x})))
        diffs = {name: float(np.max(np.abs(expected[name] - got[name]))) for name in ('regressors', 'classificators')}
        worst = max(worst, *diffs.values())
        score_diff = float(np.max(np.abs(scores(expected['classificators']) - scores(got['classificators']))))
        print(f'{label}: max|diff| regressors={diffs["regressors"]:.2e} classificators={diffs["classificators"]:.2e}'
              f' scores={score_diff:.1e} (logits {float(expected["classificators"].min()):.0f}'
              f'..{float(expected["classificators"].max()):.2f})')
    if worst > TOLERANCE:
        print(f'FAIL: max abs difference {worst:.2e} > {TOLERANCE}')
        sys.exit(1)
    print(f'OK: max abs difference {worst:.2e} <= {TOLERANCE}')


if __name__ == '__main__':
    main()
