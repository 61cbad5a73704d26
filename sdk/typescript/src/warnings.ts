const said = new Set<string>();

/**
 * One line on stderr per topic per process: the SDK speaks up when something is lost or
 * misconfigured, never in a loop, and never fails the workflow.
 */
export function warnOnce(topic: string, message: string): void {
  if (said.has(topic)) return;
  said.add(topic);
  try {
    process.stderr.write(`runtrail: ${message}\n`);
  } catch {
    // A closed stderr must not break the workflow either.
  }
}

export type Warn = typeof warnOnce;
