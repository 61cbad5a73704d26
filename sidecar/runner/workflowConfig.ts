import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  inputNamePattern,
  runnerEnvNames,
  type Workflow,
  WorkflowConfigFile,
  WorkflowDeclaration,
  workflowNamePattern,
} from '../../protocol/workflows';
import { DomainError } from '../errors';

export const configFileName = 'runtrail.json';

/** A valid runtrail.json, as read just now. */
export interface WorkflowConfig {
  /** Absolute path of the file. */
  readonly file: string;
  /** Its folder: what `${workspaceFolder}` and relative `cwd`s mean. */
  readonly folder: string;
  readonly workflows: ReadonlyMap<string, WorkflowDeclaration>;
}

/** A workflow ready to spawn: placeholders replaced, cwd absolute. */
export interface ResolvedWorkflow {
  readonly name: string;
  readonly argv: readonly string[];
  readonly cwd: string;
  /** The workflow's own variables, added to the sidecar's environment. */
  readonly env: Readonly<Record<string, string>>;
}

const placeholder = /\$\{(?:input:([^}]*)|workspaceFolder)\}/g;
const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads `<workspace>/runtrail.json`. Undefined when there is none; every other problem (unreadable,
 * not JSON, wrong shape, a bad name, a placeholder naming no declared input) is a DomainError
 * `invalid_config` (422) whose message names the file, the workflow and the field, so the user
 * can fix it from the message alone. Read on every call: edits apply without a restart.
 */
export function readWorkflowConfig(workspace: string): WorkflowConfig | undefined {
  const file = path.join(workspace, configFileName);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw configError(file, [`cannot be read (${code ?? (error as Error).message})`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw configError(file, [jsonProblem(text.replace(/^\uFEFF/, ''), (error as Error).message)]);
  }
  const parsed = WorkflowConfigFile.safeParse(json);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `${fieldPath(issue.path) || '(top level)'}: ${issue.message}`);
  // Workflows of the right shape are checked further even when others are not: one answer lists all.
  const workflows = parsed.success ? Object.entries(parsed.data.workflows ?? {}) : wellShapedWorkflows(json);
  problems.push(...workflows.flatMap(([name, workflow]) => workflowProblems(name, workflow)));
  if (problems.length > 0) throw configError(file, problems);
  return { file, folder: path.dirname(file), workflows: new Map(workflows) };
}

function wellShapedWorkflows(json: unknown): Array<[string, WorkflowDeclaration]> {
  const workflows = (json as { workflows?: unknown } | null)?.workflows;
  if (typeof workflows !== 'object' || workflows === null || Array.isArray(workflows)) return [];
  return Object.entries(workflows).flatMap(([name, value]): Array<[string, WorkflowDeclaration]> => {
    const parsed = WorkflowDeclaration.safeParse(value);
    return parsed.success ? [[name, parsed.data]] : [];
  });
}

function workflowProblems(name: string, workflow: WorkflowDeclaration): string[] {
  const at = `workflows${key(name)}`;
  const problems: string[] = [];
  if (!workflowNamePattern.test(name)) {
    problems.push(`${at}: ${JSON.stringify(name)} is not a workflow name (1-100 letters, digits, . _ -, starting with a letter or digit)`);
  }
  const declared = Object.keys(workflow.inputs ?? {});
  for (const input of declared) {
    if (!inputNamePattern.test(input)) {
      problems.push(
        `${at}.inputs${key(input)}: ${JSON.stringify(input)} is not an input name (letters, digits, _ . -, starting with a letter or _)`,
      );
    }
  }
  const checkPlaceholders = (field: string, text: string) => {
    for (const match of text.matchAll(placeholder)) {
      const input = match[1];
      if (input !== undefined && !declared.includes(input)) {
        const known = declared.length > 0 ? `declared: ${declared.join(', ')}` : 'this workflow declares no inputs';
        problems.push(`${at}.${field}: ${match[0]} names no declared input (${known})`);
      }
    }
  };
  for (const [i, arg] of workflow.command.entries()) checkPlaceholders(`command[${i}]`, arg);
  if (workflow.cwd !== undefined) checkPlaceholders('cwd', workflow.cwd);
  for (const [variable, value] of Object.entries(workflow.env ?? {})) {
    if (!envNamePattern.test(variable)) {
      problems.push(`${at}.env${key(variable)}: ${JSON.stringify(variable)} is not an environment variable name`);
    } else if ((runnerEnvNames as readonly string[]).includes(variable)) {
      problems.push(`${at}.env.${variable}: is set by the runner for every run; remove it`);
    }
    checkPlaceholders(`env${key(variable)}`, value);
  }
  return problems;
}

/** The declared workflows as GET /api/workflows lists them. */
export function describeWorkflows(config: WorkflowConfig): Workflow[] {
  return [...config.workflows].map(([name, workflow]) => ({
    name,
    description: workflow.description ?? null,
    command: workflow.command.map((arg) => substitute(arg, config.folder, undefined)),
    cwd: path.resolve(config.folder, substitute(workflow.cwd ?? '.', config.folder, undefined)),
    inputs: Object.entries(workflow.inputs ?? {}).map(([input, declaration]) => ({
      name: input,
      description: declaration.description ?? null,
      default: declaration.default ?? null,
    })),
  }));
}

/**
 * The workflow `name` with the given inputs: 404 for an unknown workflow, 400 for an unknown input,
 * a missing required one, or a value with a NUL character (no process could receive it); a cwd
 * that is not a folder is 422 (the file's fault) or 400 (when an input chose it).
 */
export function resolveWorkflow(config: WorkflowConfig, name: string, given: Readonly<Record<string, string>>): ResolvedWorkflow {
  const workflow = config.workflows.get(name);
  if (workflow === undefined) {
    const names = [...config.workflows.keys()];
    throw new DomainError(
      'not_found',
      `${config.file} declares no workflow ${JSON.stringify(name)} (${names.length > 0 ? `declared: ${names.join(', ')}` : 'it declares none'}).`,
      { file: config.file, workflow: name, declared: names },
    );
  }
  const declarations = workflow.inputs ?? {};
  const declared = Object.keys(declarations);
  const unknown = Object.keys(given).filter((input) => !declared.includes(input));
  if (unknown.length > 0) {
    throw new DomainError(
      'invalid',
      `Workflow ${name} has no input ${unknown.map((u) => JSON.stringify(u)).join(', ')} (${declared.length > 0 ? `declared: ${declared.join(', ')}` : 'it declares none'}).`,
      { workflow: name, unknown, declared },
    );
  }
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const [input, declaration] of Object.entries(declarations)) {
    const value = given[input] ?? declaration.default;
    if (value === undefined) missing.push(input);
    else if (value.includes('\0')) throw new DomainError('invalid', `Input ${input} of workflow ${name} contains a NUL character.`);
    else values[input] = value;
  }
  if (missing.length > 0) {
    const described = missing.map((input) => {
      const description = declarations[input]?.description;
      return description ? `${input} (${description})` : input;
    });
    throw new DomainError(
      'invalid',
      `Workflow ${name} needs input ${described.join(', ')}: ${missing.length > 1 ? 'they have' : 'it has'} no default, so give a value in "inputs".`,
      { workflow: name, missing },
    );
  }
  const declaredCwd = workflow.cwd ?? '.';
  const cwd = path.resolve(config.folder, substitute(declaredCwd, config.folder, values));
  if (!isFolder(cwd)) {
    // From an input, the caller chose the folder; otherwise the file names a missing one.
    if (/\$\{input:/.test(declaredCwd)) {
      throw new DomainError('invalid', `Workflow ${name} would run in ${cwd} (its cwd, from the inputs), which is not a folder.`, {
        workflow: name,
        cwd,
      });
    }
    throw configError(config.file, [`workflows${key(name)}.cwd: ${cwd} is not a folder`]);
  }
  return {
    name,
    argv: workflow.command.map((arg) => substitute(arg, config.folder, values)),
    cwd,
    env: Object.fromEntries(Object.entries(workflow.env ?? {}).map(([k, v]) => [k, substitute(v, config.folder, values)])),
  };
}

/**
 * The env a replay of a run of workflow `name` gets again: the run records its argv and cwd, not
 * its env (which may hold secrets), so it is read from runtrail.json again — only while the
 * workflow is still declared to run in that folder. A value naming an input takes the input's
 * default; without one the variable is left out, as the replay cannot know what was given.
 */
export function replayEnv(config: WorkflowConfig | undefined, name: string, cwd: string | null): Record<string, string> {
  const workflow = config?.workflows.get(name);
  if (config === undefined || workflow === undefined || cwd === null) return {};
  const defaults: Record<string, string> = {};
  for (const [input, declaration] of Object.entries(workflow.inputs ?? {})) {
    if (declaration.default !== undefined) defaults[input] = declaration.default;
  }
  const declaredCwd = substitute(workflow.cwd ?? '.', config.folder, defaults);
  if (!declaredCwd.includes('${input:') && path.resolve(config.folder, declaredCwd) !== path.resolve(cwd)) return {};
  const env: Record<string, string> = {};
  for (const [variable, value] of Object.entries(workflow.env ?? {})) {
    const resolved = substitute(value, config.folder, defaults);
    if (!resolved.includes('${input:')) env[variable] = resolved;
  }
  return env;
}

/**
 * Whether `argv` in `cwd` is what workflow `name` of runtrail.json starts, for some inputs: each
 * argument equal to the declared one with `${workspaceFolder}` replaced and every `${input:…}`
 * standing for any text; the cwd alike. A replay executes a run's recorded argv, which anyone who
 * can write runs (a shared store in team mode, any token holder) could have set: this is how the
 * replay route knows the command is one the workspace itself declares.
 */
export function isDeclaredLaunch(config: WorkflowConfig | undefined, name: string, argv: readonly string[], cwd: string): boolean {
  const workflow = config?.workflows.get(name);
  if (config === undefined || workflow === undefined || workflow.command.length !== argv.length) return false;
  const matches = (declared: string, actual: string) => declaredPattern(declared, config.folder).test(actual);
  if (!workflow.command.every((declared, i) => matches(declared, argv[i] as string))) return false;
  const declaredCwd = workflow.cwd ?? '.';
  if (!declaredCwd.includes('${input:'))
    return path.resolve(config.folder, substitute(declaredCwd, config.folder, undefined)) === path.resolve(cwd);
  return matches(declaredCwd, cwd) || matches(path.join(config.folder, declaredCwd), cwd);
}

/** A declared argument as a whole-string pattern: literal text, the folder, any text for an input. */
function declaredPattern(declared: string, folder: string): RegExp {
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let source = '';
  let last = 0;
  for (const match of declared.matchAll(placeholder)) {
    source += literal(declared.slice(last, match.index));
    source += match[1] === undefined ? literal(folder) : '[\\s\\S]*';
    last = (match.index ?? 0) + match[0].length;
  }
  return new RegExp(`^${source}${literal(declared.slice(last))}$`);
}

function isFolder(folder: string): boolean {
  try {
    return fs.statSync(folder).isDirectory();
  } catch {
    return false;
  }
}

/** One pass, so a value containing `${…}` is used as is. Without `inputs`, input placeholders stay. */
function substitute(text: string, folder: string, inputs: Readonly<Record<string, string>> | undefined): string {
  return text.replace(placeholder, (whole, input: string | undefined) => {
    if (input === undefined) return folder;
    return inputs?.[input] ?? whole;
  });
}

function configError(file: string, problems: readonly string[]): DomainError {
  const shown = problems.slice(0, 3).join('; ');
  const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : '';
  return new DomainError('invalid_config', `${file}: ${shown}${more}`, { file, problems });
}

/** V8 says "… at position N"; people count lines and columns. */
function jsonProblem(text: string, message: string): string {
  const position = /at position (\d+)/.exec(message);
  const reason = message.replace(/\s*in JSON at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)$/, '');
  if (position?.[1] === undefined) return `is not valid JSON: ${reason}`;
  const offset = Number(position[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `is not valid JSON at line ${line}, column ${column} (position ${offset}): ${reason}`;
}

/** `workflows.triage.command[1]`; keys that are not plain names are quoted. */
function fieldPath(parts: readonly PropertyKey[]): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : key(String(part));
  }
  return out;
}

function key(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}
