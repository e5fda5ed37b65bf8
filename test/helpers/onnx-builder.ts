import protobuf from 'protobufjs';

// The subset of onnx.proto (field numbers from onnx/onnx.proto) needed to write small test models.
const ONNX_SUBSET = `
syntax = "proto3";
package onnx;
message AttributeProto { string name = 1; float f = 2; int64 i = 3; repeated int64 ints = 8; int32 type = 20; }
message TensorProto { repeated int64 dims = 1; int32 data_type = 2; repeated float float_data = 4; string name = 8; }
message Dimension { int64 dim_value = 1; string dim_param = 2; }
message TensorShapeProto { repeated Dimension dim = 1; }
message TensorType { int32 elem_type = 1; TensorShapeProto shape = 2; }
message TypeProto { TensorType tensor_type = 1; }
message ValueInfoProto { string name = 1; TypeProto type = 2; }
message NodeProto { repeated string input = 1; repeated string output = 2; string name = 3; string op_type = 4; repeated AttributeProto attribute = 5; }
message GraphProto { repeated NodeProto node = 1; string name = 2; repeated TensorProto initializer = 5; repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; }
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
message ModelProto { int64 ir_version = 1; string producer_name = 2; GraphProto graph = 7; repeated OperatorSetIdProto opset_import = 8; }
`;

const FLOAT = 1;
const root = protobuf.parse(ONNX_SUBSET).root;
const ModelProto = root.lookupType('onnx.ModelProto');

type Dim = number | string;

function valueInfo(name: string, dims: Dim[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * A classifier with known outputs: logits = mean over pixels of each input channel times `weights` (3 x 2) plus
 * `bias`. With input scale 1/255, a uniform image of colour (r, g, b) gives logits exactly
 * [w00 r + w10 g + w20 b, w01 r + w11 g + w21 b] / 255 + bias.
 */
export function meanColourClassifier(options: {
  size: number;
  weights: number[][];
  bias: [number, number];
  inputName?: string;
  outputName?: string;
  batch?: Dim;
}): Uint8Array {
  const input = options.inputName ?? 'input';
  const output = options.outputName ?? 'logits';
  const batch = options.batch ?? 'batch';
  const model = {
    irVersion: 8,
    producerName: 'antispoof-tests',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'mean_colour_classifier',
      node: [
        { input: [input], output: ['pooled'], name: 'pool', opType: 'GlobalAveragePool' },
        {
          input: ['pooled'],
          output: ['flat'],
          name: 'flatten',
          opType: 'Flatten',
          attribute: [{ name: 'axis', i: 1, type: 2 }],
        },
        { input: ['flat', 'weights', 'bias'], output: [output], name: 'gemm', opType: 'Gemm' },
      ],
      initializer: [
        { name: 'weights', dims: [3, 2], dataType: FLOAT, floatData: options.weights.flat() },
        { name: 'bias', dims: [2], dataType: FLOAT, floatData: options.bias },
      ],
      input: [valueInfo(input, [batch, 3, options.size, options.size])],
      output: [valueInfo(output, [batch, 2])],
    },
  };
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/**
 * A classifier that is slow on purpose: `layers` 3x3 convolutions of `channels` channels over the full `size` x
 * `size` input, then global pooling and a 2-way Gemm. Each run costs about size^2 * 9 * channels^2 * layers
 * multiply-adds on one thread, which makes a model run long enough to see what it blocks. Outputs mean nothing.
 */
export function convStackClassifier(options: { size: number; channels: number; layers: number }): Uint8Array {
  const { size, channels, layers } = options;
  const weights = (count: number) => Array.from({ length: count }, (_, i) => ((i % 7) - 3) / 64);
  const conv = (input: string, output: string, weight: string) => ({
    input: [input, weight],
    output: [output],
    name: output,
    opType: 'Conv',
    attribute: [
      { name: 'kernel_shape', ints: [3, 3], type: 7 },
      { name: 'pads', ints: [1, 1, 1, 1], type: 7 },
    ],
  });
  const node: object[] = [conv('input', 'c0', 'w0')];
  const initializer = [{ name: 'w0', dims: [channels, 3, 3, 3], dataType: FLOAT, floatData: weights(channels * 27) }];
  for (let i = 1; i <= layers; i++) {
    node.push(conv(`c${i - 1}`, `c${i}`, `w${i}`));
    initializer.push({
      name: `w${i}`,
      dims: [channels, channels, 3, 3],
      dataType: FLOAT,
      floatData: weights(channels * channels * 9),
    });
  }
  node.push(
    { input: [`c${layers}`], output: ['pooled'], name: 'pool', opType: 'GlobalAveragePool' },
    {
      input: ['pooled'],
      output: ['flat'],
      name: 'flatten',
      opType: 'Flatten',
      attribute: [{ name: 'axis', i: 1, type: 2 }],
    },
    { input: ['flat', 'fc', 'bias'], output: ['logits'], name: 'gemm', opType: 'Gemm' },
  );
  initializer.push(
    { name: 'fc', dims: [channels, 2], dataType: FLOAT, floatData: weights(channels * 2) },
    { name: 'bias', dims: [2], dataType: FLOAT, floatData: [0, 0] },
  );
  const model = {
    irVersion: 8,
    producerName: 'antispoof-tests',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'conv_stack_classifier',
      node,
      initializer,
      input: [valueInfo('input', ['batch', 3, size, size])],
      output: [valueInfo('logits', ['batch', 2])],
    },
  };
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}
