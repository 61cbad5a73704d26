import { SidecarRequestError, SidecarUnavailableError } from '../services';

/**
 * Failures in words the user can act on (CONVENTIONS.md "Errors"). Pure (services.ts has no
 * runtime vscode import), so the wording is unit-tested.
 */
export function describeError(error: unknown): string {
  if (error instanceof SidecarUnavailableError) return error.message;
  if (error instanceof SidecarRequestError) {
    if (error.status === 404) return `${error.message} (it may have been deleted)`;
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Buttons worth offering with an error: start the sidecar when it is not running, else the logs. */
export function errorActions(error: unknown): ('Start Sidecar' | 'Show Logs')[] {
  return error instanceof SidecarUnavailableError ? ['Start Sidecar', 'Show Logs'] : ['Show Logs'];
}

export function isNotFound(error: unknown): boolean {
  return error instanceof SidecarRequestError && error.status === 404;
}
