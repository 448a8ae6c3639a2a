/**
 * TensorFlow.js backend selection. Default: tfjs-backend-wasm (XNNPACK + SIMD, single-threaded in Node) with its
 * .wasm binaries loaded from node_modules by file path; fallback: tfjs-backend-cpu (pure JS). If
 * `@tensorflow/tfjs-node` happens to be installed it is used automatically for `auto` (it is optional and not a
 * dependency: it cannot be installed offline).
 *
 * Gradients: `@tensorflow/tfjs-core` alone registers no gradient functions; importing
 * `@tensorflow/tfjs-core/dist/register_all_gradients` does (verified by test/forecast/backend.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // its node bundle registers every gradient config (tfjs-core alone registers none)
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ForecastError } from '../errors.ts';

export const BACKEND_NAMES = ['auto', 'wasm', 'cpu', 'tensorflow'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

let wasmPathsSet = false;

function wasmDir(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@tensorflow/tfjs-backend-wasm');
  // entry is .../tfjs-backend-wasm/dist/<something>.js (node build); the .wasm files sit in dist/.
  let dir = path.dirname(entry);
  while (path.basename(dir) !== 'dist' && dir !== path.dirname(dir)) dir = path.dirname(dir);
  return dir + path.sep;
}

/** Selects and initialises a backend; returns the name actually in use. Idempotent. */
export async function useBackend(name: BackendName = 'auto'): Promise<string> {
  if (name === 'auto' || name === 'tensorflow') {
    try {
      const mod = '@tensorflow/tfjs-node';
      await import(/* @vite-ignore */ mod);
      if (await tf.setBackend('tensorflow')) {
        await tf.ready();
        return 'tensorflow';
      }
    } catch {
      if (name === 'tensorflow') {
        throw new ForecastError('forecast.backend', 'backend "tensorflow" needs @tensorflow/tfjs-node, which is not installed', 'use --backend wasm or --backend cpu');
      }
    }
    name = 'wasm';
  }
  if (name === 'wasm') {
    if (!wasmPathsSet) {
      setWasmPaths(wasmDir());
      wasmPathsSet = true;
    }
    if (tf.getBackend() !== 'wasm') {
      const ok = await tf.setBackend('wasm');
      if (!ok) throw new ForecastError('forecast.backend', 'could not initialise the wasm backend', 'use --backend cpu');
    }
    await tf.ready();
    return 'wasm';
  }
  if (name === 'cpu') {
    if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
    await tf.ready();
    return 'cpu';
  }
  throw new ForecastError('forecast.backend', `--backend "${String(name)}": unknown backend`, `use one of ${BACKEND_NAMES.join(', ')}`);
}

export { tf };
