export { EmbeddedBroker } from './embedded.ts';
export { canPublish, canSubscribe } from './acl.ts';
export { createAuthenticator } from './auth.ts';
export type { Authenticator, BrokerAdapter, BrokerOptions } from './types.ts';
