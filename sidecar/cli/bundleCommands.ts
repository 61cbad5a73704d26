import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ImportResponse, redactionNames } from '../../protocol/bundle';
import { booleanOption, type CommandSpec, stringOption } from './cliContext';
import { CliError, UsageError } from './cliError';
import { oneLine, type SidecarClient } from './sidecarClient';
import { formatJson, type Output } from './terminal';

/**
 * `runtrail export` and `runtrail import`: a run as one portable file (protocol/bundle.ts has the
 * format). Both stream: the export is written as it arrives, the import file is sent as it is read.
 */

export const exportCommand: CommandSpec = {
  name: 'export',
  summary: 'write a run as a portable bundle file (JSON Lines)',
  usage: '<runId> [--redact key,key] [-o file]',
  description:
    'Writes the run, every node with its input, output, attributes and error, and the edges as a runtrail-bundle JSON Lines file (GET /api/runs/:id/export). --redact replaces the values of those object keys, at any depth, with "[redacted]". Load it elsewhere with runtrail import.',
  positionals: [{ name: 'runId', required: true }],
  options: {
    redact: { type: 'string', value: 'keys', description: 'comma-separated object keys whose values are replaced by "[redacted]"' },
    output: { type: 'string', short: 'o', value: 'file', description: 'write to this file instead of stdout' },
  },
  examples: ['runtrail export run_m1abc2def3 > run.jsonl', 'runtrail export run_m1abc2def3 --redact apiKey,password -o run.jsonl'],
  async run(ctx, args) {
    const [runId] = args.positionals as [string];
    const names = redactionNames(stringOption(args, 'redact'));
    const outFile = stringOption(args, 'output');
    const client = ctx.client();
    const query = names.length === 0 ? '' : `?redact=${encodeURIComponent(names.join(','))}`;
    const res = await send(client, `/api/runs/${encodeURIComponent(runId)}/export${query}`, { method: 'GET' });
    if (res.status === 404) {
      await res.body?.cancel();
      throw new CliError(`no run ${JSON.stringify(runId)}`);
    }
    if (!res.ok) throw await client.errorOf(res);
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    if (outFile === undefined) {
      for await (const chunk of body) await write(ctx.stdout, (chunk as Buffer).toString('utf8'));
      return 0;
    }
    const target = path.resolve(outFile);
    const partial = `${target}.partial-${process.pid}`;
    try {
      const file = fs.createWriteStream(partial);
      for await (const chunk of body) if (!file.write(chunk)) await once(file, 'drain');
      file.end();
      await once(file, 'finish');
      fs.renameSync(partial, target);
    } catch (error) {
      fs.rmSync(partial, { force: true });
      throw error instanceof CliError ? error : new CliError(`cannot write ${outFile}: ${oneLine((error as Error).message)}`);
    }
    ctx.stderr.write(`exported run ${runId} to ${outFile}\n`);
    return 0;
  },
};

export const importCommand: CommandSpec = {
  name: 'import',
  summary: 'load a run bundle file into the sidecar',
  usage: '<file|-> [--as runId] [--json]',
  description:
    'Loads a bundle written by runtrail export (POST /api/import); "-" reads stdin. Every line is checked before anything is written. Importing the same bundle again changes nothing; another run under the same id is refused: --as imports it under a new run id (its node ids become <newRunId>:<id>).',
  positionals: [{ name: 'file', required: true }],
  options: {
    as: { type: 'string', value: 'runId', description: 'import under this run id instead of the bundle’s' },
    json: { type: 'boolean', description: 'print the answer as JSON ({runId, nodes, edges})' },
  },
  examples: ['runtrail import run.jsonl', 'curl -s …/export | runtrail import -', 'runtrail import run.jsonl --as run_copy'],
  async run(ctx, args) {
    const [file] = args.positionals as [string];
    const as = stringOption(args, 'as');
    if (as === '') throw new UsageError('--as needs a run id', 'import');
    let source: Readable;
    if (file === '-') source = process.stdin;
    else {
      try {
        const stat = fs.statSync(file);
        if (stat.isDirectory()) throw new CliError(`${file} is a directory, not a bundle file`);
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw new CliError(
          `cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : oneLine((error as Error).message)}`,
        );
      }
      source = fs.createReadStream(file);
    }
    const client = ctx.client();
    const query = as === undefined ? '' : `?as=${encodeURIComponent(as)}`;
    const res = await send(client, `/api/import${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: Readable.toWeb(source) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    if (!res.ok) throw await client.errorOf(res);
    const parsed = ImportResponse.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success)
      throw new CliError(`the sidecar at ${client.url} answered the import in an unexpected shape: is it another version of Runtrail?`);
    const result = parsed.data;
    if (booleanOption(args, 'json')) ctx.stdout.write(formatJson(result, ctx.stdout));
    else {
      const what = `${result.nodes.toLocaleString('en')} node${result.nodes === 1 ? '' : 's'}, ${result.edges.toLocaleString('en')} edge${result.edges === 1 ? '' : 's'}`;
      ctx.stdout.write(
        res.status === 201
          ? `imported run ${result.runId} (${what})\n`
          : `run ${result.runId} was already imported with the same content (${what})\n`,
      );
    }
    return 0;
  },
};

async function send(client: SidecarClient, pathname: string, init: RequestInit): Promise<Response> {
  const headers = new Headers(init.headers);
  if (client.location.token !== undefined) headers.set('authorization', `Bearer ${client.location.token}`);
  try {
    return await fetch(`${client.url}${pathname}`, { ...init, headers });
  } catch (error) {
    throw client.unreachable(error);
  }
}

async function write(out: Output, text: string): Promise<void> {
  if (out.write(text) === false && typeof (out as NodeJS.WritableStream).once === 'function') {
    await once(out as NodeJS.WritableStream, 'drain');
  }
}
