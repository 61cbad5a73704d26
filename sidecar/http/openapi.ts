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
