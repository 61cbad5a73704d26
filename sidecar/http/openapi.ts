import { z } from 'zod';
import { type Operation, operations } from '../../protocol/api';
import { OperationRouter } from './operationRouter';

/**
 * Builds the OpenAPI 3.1 document from the operation table and its zod schemas (the same ones
 * that validate requests), once per process.
 */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, op] of Object.entries(operations) as Array<[string, Operation]>) {
    const path = op.path.replace(/:(\w+)/g, '{$1}');
    const parameters = [...objectParameters(op.params, 'path'), ...objectParameters(op.query, 'query')];
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(op.responses)) {
      responses[status] = response.schema
        ? { description: response.description, content: { 'application/json': { schema: jsonSchema(response.schema, 'output') } } }
        : { description: response.description };
    }
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[op.method] = {
      operationId: name,
      summary: op.summary,
      tags: [op.tag],
      ...(op.auth ? {} : { security: [] }),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } } } : {}),
      responses,
    };
  }
  paths['/v1/traces'] = { post: otlpTracesOperation };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Runtrail sidecar',
      version,
      description:
        'Records runs of multi-step workflows as graphs. Every /api route except health and this document needs `Authorization: Bearer <token>`.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}

/**
 * OTLP/HTTP trace export (sidecar/otlp/, sidecar/README.md "OTLP ingest"): its bodies are
 * OpenTelemetry's own protobuf and JSON messages, defined by the OTLP specification rather than by
 * a zod schema of ours, so the entry is written out here instead of coming from the operation table.
 */
const otlpTracesOperation = {
  operationId: 'otlpTraces',
  summary: 'OTLP/HTTP trace export: each trace becomes a run (or joins runtrail.run.id), each span a node',
  tags: ['otlp'],
  requestBody: {
    required: true,
    description: 'ExportTraceServiceRequest (opentelemetry-proto); Content-Encoding: gzip is accepted',
    content: { 'application/x-protobuf': { schema: {} }, 'application/json': { schema: { type: 'object' } } },
  },
  responses: {
    200: {
      description: "ExportTraceServiceResponse in the request's encoding; partialSuccess.rejectedSpans counts spans that were not recorded",
      content: { 'application/x-protobuf': { schema: {} }, 'application/json': { schema: { type: 'object' } } },
    },
    400: { description: 'A body that does not decode: nothing was written' },
    401: { description: 'Missing or wrong bearer token' },
    413: { description: 'The body, or the body after gunzip, is larger than RUNTRAIL_MAX_BODY_BYTES' },
    415: { description: 'Neither application/x-protobuf nor application/json' },
    503: { description: 'The store cannot take writes now: retry (exporters do)' },
  },
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  return rest;
}

function objectParameters(schema: z.ZodObject | undefined, location: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => ({
    name,
    in: location,
    required: location === 'path' || !(field as z.ZodType).safeParse(undefined).success,
    schema: jsonSchema(field as z.ZodType, 'input'),
  }));
}

export function openApiRoutes(version: string): OperationRouter {
  const document = openApiDocument(version);
  return new OperationRouter().on(operations.openapi, async (ctx) => {
    ctx.body = document;
  });
}
