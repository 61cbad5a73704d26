/**
 * What a run does when the process ends without finish(): `beforeExit` (the event loop ran dry,
 * async work still possible) flushes and finishes; `exit` (process.exit(), an uncaught error)
 * can only do synchronous work. Each participant gets `beforeExit` at most once, so the flush it
 * starts cannot make the event fire forever.
 */
export interface ExitParticipant {
  beforeExit(exitCode: number): Promise<void>;
  exit(exitCode: number, uncaught: unknown): void;
}

const waitingForBeforeExit = new Set<ExitParticipant>();
const waitingForExit = new Set<ExitParticipant>();
let installed = false;
let uncaught: unknown;

export function onProcessExit(participant: ExitParticipant): () => void {
  install();
  waitingForBeforeExit.add(participant);
  waitingForExit.add(participant);
  return () => {
    waitingForBeforeExit.delete(participant);
    waitingForExit.delete(participant);
  };
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('beforeExit', (code) => {
    const participants = [...waitingForBeforeExit];
    waitingForBeforeExit.clear();
    for (const participant of participants) void participant.beforeExit(code).catch(() => undefined);
  });
  // Observes without changing what an uncaught error does, so the run can say why it failed.
  process.on('uncaughtExceptionMonitor', (error) => {
    uncaught = error;
  });
  process.on('exit', (code) => {
    const participants = [...waitingForExit];
    waitingForExit.clear();
    for (const participant of participants) {
      try {
        participant.exit(code, uncaught);
      } catch {
        // The process is going away; never turn its exit into a crash.
      }
    }
  });
}
