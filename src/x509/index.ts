/** Certificates, the Notary certificate requirements and trust-store matching. */
export * from './certificate';
export * from './extensions';
export * from './algorithms';
export * from './requirements';
export * from './trust';
export * from './cache';
