import type { Run } from '../../protocol/runs';
import type { SidecarConnection } from '../services';

/**
 * Resolves with the run once it has ended (from live events; asks the sidecar again after missed
 * events or a sidecar restart, so it never waits forever), or undefined when it was deleted or the
 * sidecar went away. Cancel with `token` (resolves undefined).
 */
export function whenRunEnds(
  sidecar: SidecarConnection,
  runId: string,
  token?: { onCancellationRequested(listener: () => void): unknown },
): Promise<Run | undefined> {
  return new Promise<Run | undefined>((resolve) => {
    const subscriptions: { dispose(): void }[] = [];
    let settled = false;
    const done = (run: Run | undefined) => {
      if (settled) return;
      settled = true;
      for (const subscription of subscriptions) subscription.dispose();
      resolve(run);
    };
    const check = () =>
      sidecar
        .api()
        .getRun(runId)
        .then((run) => {
          if (run.status !== 'running') done(run);
        })
        .catch(() => done(undefined));
    subscriptions.push(
      sidecar.events.onRun((event) => {
        if (event.id !== runId) return;
        if ('deleted' in event) done(undefined);
        else if (event.status !== 'running') done(event);
      }),
      // Missed events (reset) or a restarted sidecar: ask instead of waiting forever.
      sidecar.events.onReset(() => void check()),
      sidecar.onDidChangeState((state) => {
        if (state.kind === 'running') void check();
        else if (state.kind !== 'starting') done(undefined);
      }),
    );
    token?.onCancellationRequested(() => done(undefined));
    void check();
  });
}
