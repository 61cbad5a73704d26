import Router from '@koa/router';
import type { Context } from 'koa';
import type { z } from 'zod';
import type { Operation } from '../../protocol/api';
import { parseWith } from './validation';

type Out<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

export interface OperationInput<Op extends Operation> {
  params: Out<Op['params']>;
  query: Out<Op['query']>;
}

/**
 * A router whose routes come from the operation table in protocol/api.ts: the path and method
 * are the table's, and path parameters and query strings are validated by its schemas before
 * the handler runs, so handlers only see typed, valid input.
 */
export class OperationRouter {
  readonly router = new Router();

  on<Op extends Operation>(op: Op, handler: (ctx: Context, input: OperationInput<Op>) => Promise<void>): this {
    this.router[op.method](op.path, async (ctx) => {
      const params = (op.params ? parseWith(op.params, ctx.params, 'path') : {}) as Out<Op['params']>;
      const query = (op.query ? parseWith(op.query, ctx.query, 'query') : {}) as Out<Op['query']>;
      await handler(ctx as unknown as Context, { params, query });
    });
    return this;
  }
}
