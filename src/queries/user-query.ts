/**
 * Loading a user-written query module (`--query ./path/to/query.ts`): its default export must be a Query object
 * or a factory (sync or async, no arguments) returning one. The module is checked against the Query contract,
 * and every failure is a UserError that says which file and what is wrong. See examples/query-template.ts.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors.ts';
import type { Query } from './query.ts';

const HINT = 'start from examples/query-template.ts: `export default` a Query object or a function returning one';

export async function loadUserQuery(path: string): Promise<Query> {
  const abs = resolve(path);
  if (!existsSync(abs) || !statSync(abs).isFile()) {
    throw new UserError('queries.module-missing', `query module ${path} does not exist (resolved to ${abs})`, 'check the --query path');
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new UserError('queries.module-failed', `query module ${path} failed to load: ${msg}`, 'fix the error in the module (run it with `npx tsx` to see the stack)');
  }
  let exp: unknown = mod['default'];
  if (exp === undefined) throw new UserError('queries.no-default-export', `query module ${path} has no default export`, HINT);
  if (typeof exp === 'function' && !looksLikeQuery(exp)) {
    try {
      exp = await (exp as () => unknown)();
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new UserError('queries.factory-failed', `the factory exported by ${path} threw: ${msg}`, HINT);
    }
  }
  const problems = contractProblems(exp);
  if (problems.length > 0) {
    throw new UserError('queries.bad-contract', `query module ${path} does not satisfy the Query contract: ${problems.join('; ')}`, HINT);
  }
  return exp as Query;
}

function looksLikeQuery(x: unknown): boolean {
  const o = x as Record<string, unknown>;
  return typeof o['process'] === 'function' && typeof o['flush'] === 'function';
}

/** What is wrong with `x` as a Query (empty when nothing). */
export function contractProblems(x: unknown): string[] {
  if (x === null || typeof x !== 'object') return [`the export is ${x === null ? 'null' : typeof x}, not an object`];
  const o = x as Record<string, unknown>;
  const p: string[] = [];
  if (typeof o['name'] !== 'string' || o['name'] === '') p.push('`name` must be a non-empty string');
  if (o['sampling'] !== 'packet' && o['sampling'] !== 'flow') p.push("`sampling` must be 'packet' or 'flow'");
  if (!['horvitz-thompson', 'flow-count', 'coverage'].includes(o['correction'] as string)) {
    p.push("`correction` must be 'horvitz-thompson', 'flow-count' or 'coverage'");
  }
  if (typeof o['process'] !== 'function') p.push('`process(batch, sel, ctx)` must be a method');
  if (typeof o['flush'] !== 'function') p.push('`flush(ctx)` must be a method');
  if (o['close'] !== undefined && typeof o['close'] !== 'function') p.push('`close` must be a method when present');
  return p;
}
