import { version as packageVersion } from '../package.json';

/** The sidecar's version, from the root package.json (inlined by esbuild). */
export const sidecarVersion: string = packageVersion;
