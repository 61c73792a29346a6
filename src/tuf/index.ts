/** The TUF stage: TrustClient, its sources and types. Re-exports only. */
export { TrustClient, resolveSource } from './client';
export type { TrustClientOptions, TrustClientStatus } from './client';
export type { TrustChange } from './snapshot';
export type { TufLimits } from './session';
export { DEFAULT_LIMITS } from './session';
export type { TufSource } from './sources/source';
export { TufSourceNotFoundError, TufSourceTooLargeError } from './sources/source';
export { HttpSource } from './sources/http';
export type { HttpSourceOptions } from './sources/http';
export { DirectorySource } from './sources/directory';
export type { DirectorySourceOptions } from './sources/directory';
