import * as path from 'node:path';
import { type CommandSpec, stringOption } from './cliContext';
import { CliError } from './cliError';
import { readTokenFile, resolveDataDir } from './sidecarClient';

/**
 * `runtrail token`: the bearer token for scripts (`curl -H "Authorization: Bearer $(runtrail
 * token)"`). RUNTRAIL_TOKEN wins, as it does for the sidecar; otherwise the data dir's token file.
 */
export const tokenCommand: CommandSpec = {
  name: 'token',
  summary: "print the sidecar's bearer token",
  usage: '[--data-dir <dir>]',
  description: "Prints RUNTRAIL_TOKEN when it is set, otherwise the token the sidecar wrote into its data folder's `token` file.",
  positionals: [],
  options: {
    'data-dir': {
      type: 'string',
      value: 'dir',
      description: 'the sidecar data folder (default: RUNTRAIL_DATA_DIR or the per-user folder)',
    },
  },
  examples: ['curl -H "Authorization: Bearer $(runtrail token)" http://127.0.0.1:7317/api/runs'],
  async run(ctx, args) {
    const fromEnv = ctx.env.RUNTRAIL_TOKEN?.trim();
    if (fromEnv) {
      ctx.stdout.write(`${fromEnv}\n`);
      return 0;
    }
    const file = path.join(resolveDataDir(ctx.env, stringOption(args, 'data-dir')), 'token');
    const token = readTokenFile(file);
    if (token === undefined) throw new CliError(`no token in ${file} yet: start the sidecar first: runtrail serve`);
    ctx.stdout.write(`${token}\n`);
    return 0;
  },
};
