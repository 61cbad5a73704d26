import type { Workflow } from '../../protocol/workflows';

/**
 * Which of a workflow's `${input:…}` values still need asking, given the values a caller passed
 * (tests and other extensions pass them all and see no prompt). Pure (no vscode).
 */
export interface InputPrompt {
  readonly name: string;
  readonly title: string;
  readonly prompt: string;
  /** Prefilled: the declared default. */
  readonly value: string;
  readonly required: boolean;
}

export function inputPrompts(workflow: Workflow, given: Readonly<Record<string, string>> = {}): InputPrompt[] {
  const missing = workflow.inputs.filter((input) => given[input.name] === undefined);
  return missing.map((input, i) => ({
    name: input.name,
    title: `Run ${workflow.name} (${i + 1}/${missing.length}): ${input.name}`,
    prompt: input.description ?? `Value for \${input:${input.name}}`,
    value: input.default ?? '',
    required: input.default === null,
  }));
}

/** The value a required input may not have. */
export function validateInput(prompt: InputPrompt, value: string): string | undefined {
  return prompt.required && value.trim() === '' ? `${prompt.name} is required` : undefined;
}
