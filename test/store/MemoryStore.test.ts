import { MemoryStore } from "../../src/store/MemoryStore.ts";
import { runQueueStoreConformance } from "./conformance.ts";

runQueueStoreConformance("MemoryStore", () => new MemoryStore());
