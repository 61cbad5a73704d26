import { z } from 'zod';
import { Labels } from './runs';

/**
 * `runtrail.json` (DESIGN.md "Runner, replay, fork, decisions") and the REST DTOs of the runner:
 * the declared workflows, starting one, cancelling a run. The file is read by the sidecar on every
 * request, so an edit applies without a restart.
 */

/** Names the runner sets in a workflow's environment; a workflow's `env` may not override them. */
export const runnerEnvNames = ['RUNTRAIL_URL', 'RUNTRAIL_TOKEN', 'RUNTRAIL_RUN_ID', 'RUNTRAIL_WORKFLOW'] as const;

/** Workflow names go into URLs (`/api/workflows/:name/runs`) and run lists: keep them plain. */
export const workflowNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** Input names appear in `${input:NAME}` placeholders and CLI flags. */
export const inputNamePattern = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

const withoutNul = (schema: z.ZodString, what: string) =>
  schema.refine((value) => !value.includes('\0'), `${what} must not contain a NUL character`);
const noNul = (what: string) => withoutNul(z.string(), what);

export const WorkflowInputDeclaration = z.strictObject({
  description: z.string().optional(),
  /** Used when a run gives no value; an input without a default is required. */
  default: noNul('a default').optional(),
});

export const WorkflowDeclaration = z.strictObject({
  /** Program and arguments, run without a shell; `${input:NAME}` and `${workspaceFolder}` are replaced. */
  command: z
    .array(noNul('an argument'), { error: 'must be an array of strings: the program, then its arguments' })
    .min(1, 'must name the program to run, e.g. ["node", "agent.js"]'),
  /** Relative to the folder of runtrail.json; default ".". Placeholders allowed. */
  cwd: withoutNul(z.string().min(1, 'must not be empty (use "." for the folder of runtrail.json)'), 'cwd').optional(),
  description: z.string().optional(),
  inputs: z.record(z.string(), WorkflowInputDeclaration).optional(),
  /** Added to the sidecar's environment; values may hold placeholders. */
  env: z.record(z.string(), noNul('an environment value')).optional(),
});
export type WorkflowDeclaration = z.output<typeof WorkflowDeclaration>;

/** The whole file. Keys besides `workflows` are left to other readers (settings). */
export const WorkflowConfigFile = z.looseObject(
  {
    workflows: z.record(z.string(), WorkflowDeclaration, { error: 'must be an object mapping workflow names to workflows' }).optional(),
  },
  { error: 'must be a JSON object with a "workflows" key' },
);

export const WorkflowInput = z.object({
  name: z.string(),
  description: z.string().nullable(),
  /** Null: the input is required. */
  default: z.string().nullable(),
});

export const Workflow = z.object({
  name: z.string(),
  description: z.string().nullable(),
  /** As declared: `${input:NAME}` placeholders are kept, `${workspaceFolder}` is replaced. */
  command: z.array(z.string()),
  /** Absolute. */
  cwd: z.string(),
  inputs: z.array(WorkflowInput),
});
export type Workflow = z.infer<typeof Workflow>;

export const WorkflowList = z.object({
  /** Absolute path of the runtrail.json read; null when the workspace has none. */
  configFile: z.string().nullable(),
  workflows: z.array(Workflow),
});
export type WorkflowList = z.infer<typeof WorkflowList>;

export const WorkflowNameParams = z.object({ name: z.string().min(1).max(100) });

export const StartWorkflowRequest = z.strictObject({
  /** Values for the declared inputs; inputs with a default may be left out. */
  inputs: z.record(z.string(), z.string().max(32 * 1024)).optional(),
  labels: Labels.optional(),
});
export type StartWorkflowRequest = z.input<typeof StartWorkflowRequest>;

export const CancelRunResponse = z.object({
  runId: z.string(),
  /** The process group got SIGTERM (SIGKILL follows after a grace period); the run ends `cancelled`. */
  status: z.literal('cancelling'),
});
export type CancelRunResponse = z.infer<typeof CancelRunResponse>;
