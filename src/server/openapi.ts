import { IMAGE_FIELD } from './upload.js';
import { RAW_IMAGE_TYPES } from './replies.js';

const json = (schema: object) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string) => ({ description, content: json(ref('ErrorReport')) });

const schemas = {
  Box: {
    type: 'object',
    description: 'Pixels in the decoded (EXIF-rotated) image, rounded to 0.1.',
    required: ['x', 'y', 'width', 'height'],
    properties: { x: { type: 'number' }, y: { type: 'number' }, width: { type: 'number' }, height: { type: 'number' } },
  },
  Face: {
    type: 'object',
    required: ['box', 'detectionScore', 'score', 'verdict', 'reasons'],
    properties: {
      box: ref('Box'),
      detectionScore: { type: ['number', 'null'], description: 'Detector confidence; null when the box was given.' },
      score: { type: 'number', minimum: 0, maximum: 1, description: 'P(live).' },
      verdict: { type: 'string', enum: ['live', 'spoof', 'retry'] },
      reasons: {
        type: 'array',
        items: { type: 'string' },
        description: "Why the verdict is 'retry' (quality gate); empty otherwise.",
      },
    },
  },
  CheckReport: {
    type: 'object',
    description: 'The object `antispoof check --json` prints for one file. Faces are largest first.',
    required: ['file', 'width', 'height', 'faces'],
    properties: {
      file: { type: 'string', description: '"upload", or the multipart filename.' },
      width: { type: 'integer' },
      height: { type: 'integer' },
      faces: { type: 'array', items: ref('Face') },
    },
  },
  ErrorReport: {
    type: 'object',
    required: ['error', 'errorCode'],
    properties: {
      file: { type: 'string', description: 'Present on /v1/check.' },
      error: { type: 'string' },
      errorCode: {
        type: 'string',
        description:
          'INVALID_INPUT, UNSUPPORTED_FORMAT, DECODE_FAILED, IMAGE_TOO_LARGE (library); UNAUTHORIZED, ' +
          'PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, BUSY, UNAVAILABLE, TIMEOUT, NOT_FOUND, INTERNAL (service).',
      },
      requestId: {
        type: 'string',
        description: 'On 5xx answers: the id under which the server log holds the error (the message is generic).',
      },
    },
  },
};

const binary = { type: 'string', contentMediaType: 'application/octet-stream' };

const health = (statuses: string[]) => ({
  type: 'object',
  required: ['status', 'model'],
  properties: {
    status: { enum: statuses },
    model: { type: 'string' },
    workers: {
      type: 'object',
      description: 'When not ok: inference workers ready, and alive (ready or starting).',
      properties: { ready: { type: 'integer' }, size: { type: 'integer' } },
    },
  },
});

const checkOperation = {
  summary: 'Is each face in the image live, a spoof, or does it need a retry?',
  operationId: 'check',
  parameters: [
    {
      name: 'wholeImage',
      in: 'query',
      schema: { type: 'boolean' },
      description: 'The whole image is the face (tight face crops): skip detection.',
    },
    {
      name: 'box',
      in: 'query',
      schema: { type: 'string', pattern: '^[^,]+,[^,]+,[^,]+,[^,]+$' },
      example: '120,80,200,200',
      description: 'x,y,width,height of the face in pixels: skip detection.',
    },
  ],
  requestBody: {
    required: true,
    content: {
      ...Object.fromEntries(RAW_IMAGE_TYPES.map((type) => [type, { schema: binary }])),
      'multipart/form-data': {
        schema: { type: 'object', required: [IMAGE_FIELD], properties: { [IMAGE_FIELD]: binary } },
      },
    },
  },
  responses: {
    '200': { description: 'The image was processed (possibly with no face).', content: json(ref('CheckReport')) },
    '400': errorResponse('The image cannot be decoded, or the query or multipart body is malformed.'),
    '401': errorResponse('Missing or wrong API key.'),
    '413': errorResponse('The body, or the image in pixels, is too large.'),
    '415': errorResponse('Unsupported Content-Type.'),
    '500': errorResponse('The model or the service failed; `requestId` finds the detail in the server log.'),
    '503': {
      description:
        'BUSY: every worker and the queue are full; UNAVAILABLE: no inference worker is ready (crashed or ' +
        'killed, being replaced); or the server is shutting down.',
      headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds.' } },
      content: json(ref('ErrorReport')),
    },
    '504': errorResponse('No answer within the request timeout (slow upload or overload).'),
  },
};

/** OpenAPI 3.1 description of the service; the result schema mirrors `FileReport` in src/report.ts. */
export function openApiDocument(options: { version: string; apiKey: boolean }): object {
  const secured = options.apiKey ? { security: [{ bearer: [] }, { apiKeyHeader: [] }] } : {};
  return {
    openapi: '3.1.0',
    info: {
      title: 'antispoof',
      version: options.version,
      description: 'Face anti-spoofing (presentation attack detection) over HTTP. Stateless: scale out freely.',
    },
    paths: {
      '/v1/check': { post: { ...checkOperation, ...secured } },
      '/healthz': {
        get: {
          summary: 'Liveness and readiness: the model is loaded and an inference worker is ready.',
          operationId: 'health',
          security: [],
          responses: {
            '200': {
              description: "Ready; 'degraded' when some inference workers are being replaced.",
              content: json(health(['ok', 'degraded'])),
            },
            '503': {
              description: 'No inference worker is ready (all crashed or killed, replacements loading or failing).',
              content: json(health(['unavailable', 'closed'])),
            },
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (text exposition format 0.0.4).',
          operationId: 'metrics',
          ...secured,
          responses: { '200': { description: 'Metrics.', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document.',
          operationId: 'openapi',
          ...secured,
          responses: { '200': { description: 'OpenAPI 3.1 document.', content: json({ type: 'object' }) } },
        },
      },
    },
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
    },
  };
}
