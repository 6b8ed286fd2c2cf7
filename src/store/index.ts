/**
 * The face of src/store/: what other folders use of it. Other folders import only this file (the
 * depcheck rule `through-the-face`); this folder's own files import their siblings directly, never
 * this file. See docs/architecture.md.
 */
export type { FileStore } from "./FileStore.ts";
export { FileSweeper } from "./FileSweeper.ts";
export { LocalFileStore } from "./LocalFileStore.ts";
export { MemoryStore } from "./MemoryStore.ts";
export type { SessionOwner, SharedOwnerStore } from "./OwnerStore.ts";
export type { SessionStateStore } from "./SessionStateStore.ts";
export {
  isSharedStore,
  type Adopted,
  type SessionBus,
  type SessionMessage,
  type SharedQueueStore,
} from "./SharedQueueStore.ts";
