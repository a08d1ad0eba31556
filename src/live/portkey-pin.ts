/** The Portkey gateway live mode runs (./portkey.ts), on its own so `drive`'s help imports nothing else. */
export const PORTKEY_PACKAGE = "@portkey-ai/gateway";
export const PORTKEY_VERSION = "1.15.2";
/** Overrides the resolver: the path of the package's build/start-server.js. */
export const PORTKEY_ENV = "ROUTESIM_PORTKEY_GATEWAY";
