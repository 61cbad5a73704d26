import type { Env } from '../config';
import type { SidecarClient } from './sidecarClient';
import type { Colors, Output } from './terminal';

/** What every command gets from main.ts: streams, colours, and (lazily) the sidecar. */
export interface CliContext {
  readonly env: Env;
  readonly stdout: Output;
  readonly stderr: Output;
  /** For stdout. */
  readonly colors: Colors;
  /** Finds the sidecar on first use (`serve` and `token` never do). */
  client(): SidecarClient;
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  /** Placeholder in help: `--port <n>`. */
  readonly value?: string;
  readonly description: string;
}

export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
}

/** A subcommand: its help text, its flags, and what it does. Resolves with the exit code. */
export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** After `runtrail <name>`: `<workflow> [--input k=v]...`. */
  readonly usage: string;
  readonly description?: string;
  readonly positionals: readonly { readonly name: string; readonly required: boolean }[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Lines shown under "Examples" in `--help`. */
  readonly examples?: readonly string[];
  run(ctx: CliContext, args: ParsedArgs): Promise<number>;
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function stringsOption(args: ParsedArgs, name: string): string[] {
  const value = args.values[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}

export function booleanOption(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}
