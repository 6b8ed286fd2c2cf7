/** Child-process entry of the floor server (see `startFloorServer.ts`). */
import { serveChild } from "./serveChild.ts";
import { startFloorServer } from "./startFloorServer.ts";

await serveChild(startFloorServer);
