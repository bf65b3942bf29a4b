// The project's own ESLint config, run on sources placed (by path) in each room: every crossing of
// the rooms table is an error of the rooms rule, and the allowed imports are not.
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: root });

async function roomErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result!.messages.filter((m) => m.ruleId === 'watchscope/rooms').map((m) => m.message);
}

describe('rooms rule', () => {
  it('rejects the renderer importing main/', async () => {
    const errors = await roomErrors('renderer/src/lib/x.ts', "import { Cacher } from '../../../main/storage/cacher/cacher.js';\nexport const c = Cacher;\n");
    expect(errors).toEqual([expect.stringContaining('renderer may not import main/storage')]);
    const typeOnly = "export type S = import('../../../main/session.js').Session;\n";
    expect(await roomErrors('renderer/src/lib/x.ts', typeOnly)).toEqual([expect.stringContaining('renderer may not import main')]);
  });

  it('rejects it from a Svelte component too', async () => {
    const code = "<script lang=\"ts\">\n  import { startWebUi } from '../../../main/web.js';\n  console.log(startWebUi);\n</script>\n";
    const errors = await roomErrors('renderer/src/views/X.svelte', code);
    expect(errors).toEqual([expect.stringContaining('renderer may not import main')]);
  });

  it('lets the renderer import shared/', async () => {
    expect(await roomErrors('renderer/src/lib/x.ts', "import { streams } from '../../../shared/ipc.js';\nexport const s = streams;\n")).toEqual([]);
  });

  it('rejects Node built-ins in the renderer and in shared/', async () => {
    expect(await roomErrors('renderer/src/lib/x.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n")).toHaveLength(1);
    expect(await roomErrors('shared/x.ts', "import path from 'path';\nexport const p = path;\n")).toHaveLength(1);
  });

  it('rejects shared/ importing main/ or renderer/', async () => {
    expect(await roomErrors('shared/x.ts', "export { Ring } from '../main/util/ring.js';\n")).toHaveLength(1);
    expect(await roomErrors('shared/x.ts', "import type { Backend } from '../renderer/src/lib/backend.js';\nexport type B = Backend;\n")).toHaveLength(1);
  });

  it('keeps storage free of electron, telemetry, workload and the session', async () => {
    const file = 'main/storage/cacher/x.ts';
    expect(await roomErrors(file, "import { app } from 'electron';\nexport const a = app;\n")).toEqual([expect.stringContaining("may not import electron")]);
    expect(await roomErrors(file, "import { Telemetry } from '../../telemetry/telemetry.js';\nexport const t = Telemetry;\n")).toHaveLength(1);
    expect(await roomErrors(file, "import type { Workload } from '../../workload/workload.js';\nexport type W = Workload;\n")).toHaveLength(1);
    expect(await roomErrors(file, "const s = await import('../../session.js');\nexport default s;\n")).toHaveLength(1);
    expect(await roomErrors(file, "import { Ring } from '../../util/ring.js';\nimport type { Snapshot } from '../../../shared/model.js';\nexport type R = Ring<Snapshot>;\n")).toEqual([]);
  });

  it('lets only the Electron shell import electron', async () => {
    expect(await roomErrors('main/index.ts', "import { app } from 'electron';\nexport const a = app;\n")).toEqual([]);
    expect(await roomErrors('main/cli.ts', "import { app } from 'electron';\nexport const a = app;\n")).toHaveLength(1);
    expect(await roomErrors('main/cluster/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toHaveLength(1);
  });

  it('lets the workload take only types from storage', async () => {
    const file = 'main/workload/x.ts';
    expect(await roomErrors(file, "import type { Cacher } from '../storage/cacher/cacher.js';\nexport type C = Cacher;\n")).toEqual([]);
    expect(await roomErrors(file, "import { Cacher } from '../storage/cacher/cacher.js';\nexport const c = Cacher;\n")).toEqual([
      expect.stringContaining('may import only types from main/storage'),
    ]);
  });

  it('lets cluster and recording use storage and telemetry but not the session or the workload', async () => {
    for (const room of ['cluster', 'recording']) {
      const file = `main/${room}/x.ts`;
      expect(await roomErrors(file, "import { Telemetry } from '../telemetry/telemetry.js';\nimport { Cacher } from '../storage/cacher/cacher.js';\nexport const x = [Telemetry, Cacher];\n")).toEqual([]);
      expect(await roomErrors(file, "import { Session } from '../session.js';\nexport const s = Session;\n")).toHaveLength(1);
      expect(await roomErrors(file, "import { Workload } from '../workload/workload.js';\nexport const w = Workload;\n")).toHaveLength(1);
    }
  });

  it('lets a test under main/ wire its room into the rest of main, but not its production code', async () => {
    const code = "import { Session } from '../session.js';\nexport const s = Session;\n";
    expect(await roomErrors('main/recording/x.test.ts', code)).toEqual([]);
    expect(await roomErrors('main/recording/x.ts', code)).toHaveLength(1);
    expect(await roomErrors('main/storage/x.test.ts', "import { app } from 'electron';\nexport const a = app;\n")).toHaveLength(1);
  });

  it('makes a new folder under main/ name itself in the table', async () => {
    expect(await roomErrors('main/newroom/x.ts', 'export const x = 1;\n')).toEqual([expect.stringContaining('main/newroom/ is not a room')]);
  });
});
