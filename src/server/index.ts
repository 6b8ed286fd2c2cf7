/**
 * The face of src/server/: what other folders use of it. Other folders import only this file (the
 * depcheck rule `through-the-face`); this folder's own files import their siblings directly, never
 * this file. See docs/architecture.md.
 */
export { ClusterSessionHub } from "./ClusterSessionHub.ts";
export { ReaderBudget } from "./ReaderBudget.ts";
export { RequestPolicy } from "./RequestPolicy.ts";
export type { ServerContext } from "./ServerContext.ts";
export { SessionHub, type SessionHubOptions } from "./SessionHub.ts";
export { SessionOwners } from "./SessionOwners.ts";
export { SessionRelay } from "./SessionRelay.ts";
export { Authenticator } from "./auth/Authenticator.ts";
export { clientAddressOf } from "./clientAddress.ts";
export { createServer } from "./createServer.ts";
export { Metrics } from "./metrics.ts";
export { requestRoot } from "./requestRoot.ts";
export { LegacyRouter } from "./ws/LegacyRouter.ts";
