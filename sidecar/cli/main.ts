import { parseArgs } from 'node:util';
import { sidecarVersion } from '../version';
import { exportCommand, importCommand } from './bundleCommands';
import type { CliContext, CommandSpec, OptionSpec, ParsedArgs } from './cliContext';
import { CliError, exitCodes, UsageError } from './cliError';
import { demoCommand } from './demoCommand';
import { diffCommand } from './diffCommand';
import { familyCommand } from './familyCommand';
import { replayCommand } from './replayCommand';
import { runCommand } from './runCommand';
import { runsCommand } from './runsCommand';
import { serveCommand } from './serveCommand';
import { showCommand } from './showCommand';
import { locateSidecar, SidecarClient } from './sidecarClient';
import { colors, wantsColor } from './terminal';
import { tokenCommand } from './tokenCommand';

/**
 * `runtrail`, the command line: `node dist/cli.js` (bin/runtrail.cjs). Everything but `serve` is
 * an HTTP client of the sidecar's REST API. Errors are one line on stderr, `runtrail: …`; exit
 * codes are in cliError.ts.
 */
const commands: readonly CommandSpec[] = [
  serveCommand,
  runCommand,
  runsCommand,
  showCommand,
  replayCommand,
  diffCommand,
  familyCommand,
  exportCommand,
  importCommand,
  tokenCommand,
  demoCommand,
];

const globalOptions: Readonly<Record<string, OptionSpec>> = {
  url: { type: 'string', value: 'url', description: 'the sidecar (RUNTRAIL_URL; default: the running one, else http://127.0.0.1:7317)' },
  token: { type: 'string', value: 'token', description: "bearer token (RUNTRAIL_TOKEN; default: the data folder's token file)" },
  color: { type: 'boolean', description: 'colour the output even when it is not a terminal' },
  'no-color': { type: 'boolean', description: 'never colour the output (or set NO_COLOR)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
  version: { type: 'boolean', short: 'v', description: 'print the version' },
};

/** Global flags that take a value: the word after them is not the command. */
const globalValueFlags = new Set(Object.entries(globalOptions).flatMap(([name, o]) => (o.type === 'string' ? [`--${name}`] : [])));

export async function main(argv: readonly string[]): Promise<number> {
  const io = { stdout: process.stdout, stderr: process.stderr };
  try {
    const commandIndex = findCommand(argv);
    if (commandIndex < 0) return topLevel(argv, io.stdout);
    const [name, ...restAfter] = argv.slice(commandIndex);
    const rest = [...argv.slice(0, commandIndex), ...restAfter];
    if (name === 'help') return help(rest, io.stdout);
    const command = commands.find((c) => c.name === name);
    if (command === undefined) {
      throw new UsageError(`unknown command ${JSON.stringify(name)}: use one of ${commands.map((c) => c.name).join(', ')}`);
    }
    const args = parseCommandArgs(command, rest);
    if (args.values.help === true) {
      io.stdout.write(commandHelp(command));
      return exitCodes.ok;
    }
    if (args.values.version === true) {
      io.stdout.write(`runtrail ${sidecarVersion}\n`);
      return exitCodes.ok;
    }
    const colorFlag = args.values.color === true ? true : args.values['no-color'] === true ? false : undefined;
    let client: SidecarClient | undefined;
    const ctx: CliContext = {
      env: process.env,
      stdout: io.stdout,
      stderr: io.stderr,
      colors: colors(wantsColor(io.stdout, process.env, colorFlag)),
      client: () => {
        client ??= new SidecarClient(
          locateSidecar({ url: args.values.url as string | undefined, token: args.values.token as string | undefined }, process.env),
        );
        return client;
      },
    };
    return await command.run(ctx, args);
  } catch (error) {
    return report(error, io.stderr);
  }
}

/** Index of the command word: the first argument that is neither a flag nor a global flag's value. */
function findCommand(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return i + 1 < argv.length ? i + 1 : -1;
    if (globalValueFlags.has(arg)) i++;
    else if (!arg.startsWith('-') || arg === '-') return i;
  }
  return -1;
}

/** `runtrail`, `runtrail --help`, `runtrail --version`: no command word. */
function topLevel(argv: readonly string[], stdout: NodeJS.WritableStream): number {
  const known = new Set(['--help', '-h', '--version', '-v', '--color', '--no-color']);
  const unknown = argv.find((arg) => arg.startsWith('-') && !known.has(arg.split('=')[0] as string) && !globalValueFlags.has(arg));
  if (unknown !== undefined) throw new UsageError(`unknown option ${unknown.split('=')[0]}`);
  if (argv.includes('--version') || argv.includes('-v')) {
    stdout.write(`runtrail ${sidecarVersion}\n`);
    return exitCodes.ok;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    stdout.write(generalHelp());
    return exitCodes.ok;
  }
  process.stderr.write(generalHelp());
  return exitCodes.usage;
}

function help(rest: readonly string[], stdout: NodeJS.WritableStream): number {
  const topic = rest.find((arg) => !arg.startsWith('-'));
  if (topic === undefined) {
    stdout.write(generalHelp());
    return exitCodes.ok;
  }
  const command = commands.find((c) => c.name === topic);
  if (command === undefined)
    throw new UsageError(`no command ${JSON.stringify(topic)}: use one of ${commands.map((c) => c.name).join(', ')}`);
  stdout.write(commandHelp(command));
  return exitCodes.ok;
}

/**
 * node:util parseArgs in lenient mode, then our own checks, so every mistake gets one line that
 * names the flag (strict mode's messages span lines and suggest `--`).
 */
function parseCommandArgs(command: CommandSpec, args: readonly string[]): ParsedArgs {
  const specs = { ...globalOptions, ...command.options };
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [
      name,
      { type: spec.type, ...(spec.multiple ? { multiple: true } : {}), ...(spec.short ? { short: spec.short } : {}) },
    ]),
  );
  const parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: false, tokens: true });
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const spec = specs[token.name];
    if (spec === undefined) throw new UsageError(`unknown option ${token.rawName} for ${command.name}`, command.name);
    if (spec.type === 'boolean' && token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`, command.name);
    if (spec.type === 'string') {
      if (token.value === undefined)
        throw new UsageError(`${token.rawName} needs a value: ${token.rawName} <${spec.value ?? 'value'}>`, command.name);
      if (!token.inlineValue && /^-[^\d.]/.test(token.value)) {
        throw new UsageError(
          `${token.rawName} needs a value but got the option ${token.value} (write ${token.rawName}=${token.value} if you mean it)`,
          command.name,
        );
      }
    }
  }
  const values = parsed.values as ParsedArgs['values'];
  if (values.help !== true && values.version !== true) {
    const required = command.positionals.filter((p) => p.required);
    if (parsed.positionals.length < required.length) {
      const missing = required[parsed.positionals.length] as { name: string };
      throw new UsageError(`${command.name} needs <${missing.name}>: runtrail ${command.name} ${command.usage}`, command.name);
    }
    if (parsed.positionals.length > command.positionals.length) {
      throw new UsageError(
        `unexpected argument ${JSON.stringify(parsed.positionals[command.positionals.length])} for ${command.name}`,
        command.name,
      );
    }
  }
  return { positionals: parsed.positionals, values };
}

function report(error: unknown, stderr: NodeJS.WritableStream): number {
  if (error instanceof UsageError) {
    const hint = error.command === undefined ? 'runtrail --help' : `runtrail ${error.command} --help`;
    stderr.write(`runtrail: ${error.message} (see ${hint})\n`);
    return error.exitCode;
  }
  if (error instanceof CliError) {
    stderr.write(`runtrail: ${error.message}\n`);
    return error.exitCode;
  }
  // A bug, not a user mistake: keep the stack so it can be reported.
  stderr.write(`runtrail: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return exitCodes.failed;
}

function generalHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'runtrail: record and follow runs of multi-step workflows',
    '',
    'Usage: runtrail <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    ...optionLines(globalOptions),
    '',
    'Run "runtrail <command> --help" for the options of a command.',
    '',
  ].join('\n');
}

function commandHelp(command: CommandSpec): string {
  const lines = [`Usage: runtrail ${command.name} ${command.usage}`.trimEnd(), '', `${capitalize(command.summary)}.`];
  if (command.description) lines.push('', ...wrap(command.description, 100));
  if (Object.keys(command.options).length > 0) lines.push('', 'Options:', ...optionLines(command.options));
  lines.push('', 'Global options:', ...optionLines(globalOptions));
  if (command.examples && command.examples.length > 0) lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const flags = Object.entries(options).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : '    ';
    return { flag: `${short}--${name}${spec.type === 'string' ? ` <${spec.value ?? 'value'}>` : ''}`, spec };
  });
  const width = Math.max(...flags.map((f) => f.flag.length));
  return flags.map(({ flag, spec }) => `  ${flag.padEnd(width)}  ${spec.description}`);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

main(process.argv.slice(2)).then(
  (code) => {
    // Exit explicitly (a served sidecar's library timers must not keep the process up), but
    // only once what we printed has reached the pipe.
    process.stdout.write('', () => process.exit(code));
  },
  (error: unknown) => {
    process.stderr.write(`runtrail: unexpected error: ${String(error)}\n`);
    process.exit(exitCodes.failed);
  },
);
