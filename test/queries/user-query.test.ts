import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readBatches, selectAll } from '../../src/capture/index.ts';
import { loadUserQuery } from '../../src/queries/index.ts';
import { UserError } from '../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'loadcast-userq-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function mod(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
}

describe('loadUserQuery', () => {
  it('loads the template (a factory) and it runs on a real trace: SYN count equals a direct count', async () => {
    const q = await loadUserQuery('examples/query-template.ts');
    assert.equal(q.name, 'syn-counter');
    let syns = 0;
    let start: bigint | undefined;
    for await (const b of readBatches('../shared/data/pcap/stopddos__pkt.TCP.synflood.spoofed.pcap')) {
      start ??= b.startNs;
      q.process(b, selectAll(b), { rate: 1, intervalStartNs: start });
      for (let i = 0; i < b.count; i++) if (b.proto[i] === 6 && (b.tcpFlags[i]! & 18) === 2) syns++;
    }
    const r = q.flush({ intervalStartNs: start!, intervalEndNs: start! + 60_000_000_000n, finalRate: 1 });
    const v = r.value as { syns: number; ports: number };
    assert.ok(syns > 30000);
    assert.equal(v.syns, syns);
    assert.ok(v.ports >= 1);
    assert.equal(r.coverage, 1);
  });

  it('accepts a plain Query object as default export', async () => {
    const p = mod(
      'obj.mjs',
      `let n = 0; export default { name: 'n', sampling: 'packet', correction: 'coverage',
        process(b, sel) { n += sel.length; },
        flush(ctx) { const v = n; n = 0; return { query: 'n', intervalStartNs: ctx.intervalStartNs, intervalEndNs: ctx.intervalEndNs, value: v, correction: 'coverage', rates: { min: 1, max: 1, mean: 1 }, coverage: 1 }; } };`,
    );
    const q = await loadUserQuery(p);
    assert.equal(q.name, 'n');
    // The loaded object is the module's own (not a copy): its methods run on the module's state.
    const sel = { idx: Uint32Array.from([0, 1, 2]), length: 3 };
    q.process(undefined as never, sel, { rate: 1, intervalStartNs: 0n });
    q.process(undefined as never, sel, { rate: 1, intervalStartNs: 0n });
    assert.equal(q.flush({ intervalStartNs: 0n, intervalEndNs: 1n, finalRate: 1 }).value, 6);
  });

  it('gives clear UserErrors for a missing module, no default export, a bad contract and a throwing module', async () => {
    const expectErr = async (p: string, code: string, re: RegExp): Promise<void> => {
      await assert.rejects(loadUserQuery(p), (e: unknown) => {
        assert.ok(e instanceof UserError);
        assert.equal(e.code, code);
        assert.match(e.message, re);
        return true;
      });
    };
    await expectErr(join(dir, 'nope.ts'), 'queries.module-missing', /does not exist/);
    await expectErr(mod('nodef.mjs', 'export const x = 1;'), 'queries.no-default-export', /no default export/);
    await expectErr(
      mod('bad.mjs', `export default { name: '', sampling: 'random', process() {} };`),
      'queries.bad-contract',
      /`name` must be a non-empty string; `sampling` must be 'packet' or 'flow'; `correction`.*`flush\(ctx\)` must be a method/,
    );
    await expectErr(mod('throws.mjs', `throw new Error('boom at load');`), 'queries.module-failed', /boom at load/);
    await expectErr(mod('fthrows.mjs', `export default () => { throw new Error('factory boom'); };`), 'queries.factory-failed', /factory boom/);
    await expectErr(mod('num.mjs', `export default 42;`), 'queries.bad-contract', /number, not an object/);
  });
});
