/** Child-process entry of Usher under test (see `startUsherServer.ts`). */
import { serveChild } from "./serveChild.ts";
import { startUsherServer } from "./startUsherServer.ts";

await serveChild(startUsherServer);
