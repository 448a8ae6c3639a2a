/**
 * Checkpoints: MODEL_DIR/model.json (format version, config, parameter manifest, normalisation statistics,
 * dataset fingerprint and shape, training summary, sha256 of the weights and of the JSON body) and
 * MODEL_DIR/weights.bin (float32 little-endian, parameters concatenated in manifest order). Loading verifies both
 * checksums and, against a dataset, the fingerprint and task names; any mismatch is a ForecastError.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { MultiSeries } from '../series/index.ts';
import { ForecastError } from '../errors.ts';
import { makeConfig, type ForecastConfig } from './config.ts';
import type { Forecaster } from './forecaster.ts';

export const CHECKPOINT_FORMAT = 'loadcast-forecast/1';

export interface CheckpointBody {
  format: string;
  config: ForecastConfig;
  dataset: { fingerprint: string; T: number; K: number; stepSeconds: number; names: string[]; split: { trainEnd: number; valEnd: number } };
  normalisation: { mean: number[]; std: number[]; constant: number[] };
  parameters: { name: string; shape: number[]; offset: number }[];
  weightsSha256: string;
  training: Record<string, unknown>;
}

interface CheckpointFile extends CheckpointBody {
  bodySha256: string;
}

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

export function saveCheckpoint(dir: string, f: Forecaster, ds: MultiSeries, training: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  const vars = [...(f.model?.params.vars ?? [])];
  const parameters: CheckpointBody['parameters'] = [];
  let offset = 0;
  for (const [name, v] of vars) {
    parameters.push({ name, shape: v.shape.slice(), offset });
    offset += v.size;
  }
  const all = new Float32Array(offset);
  vars.forEach(([, v], i) => all.set(v.dataSync() as Float32Array, parameters[i]!.offset));
  const bytes = new Uint8Array(all.buffer);
  const body: CheckpointBody = {
    format: CHECKPOINT_FORMAT,
    config: f.cfg,
    dataset: { fingerprint: ds.fingerprint, T: ds.T, K: ds.K, stepSeconds: ds.stepSeconds, names: [...ds.names], split: ds.split },
    normalisation: { mean: [...ds.stats.mean], std: [...ds.stats.std], constant: [...ds.stats.constant] },
    parameters,
    weightsSha256: sha(bytes),
    training,
  };
  const file: CheckpointFile = { ...body, bodySha256: sha(JSON.stringify(body)) };
  writeFileSync(path.join(dir, 'weights.bin'), bytes);
  writeFileSync(path.join(dir, 'model.json'), `${JSON.stringify(file, null, 1)}\n`);
}

export interface LoadedCheckpoint {
  body: CheckpointBody;
  weights: Map<string, { shape: number[]; data: Float32Array }>;
}

export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const jsonPath = path.join(dir, 'model.json');
  const binPath = path.join(dir, 'weights.bin');
  if (!existsSync(jsonPath)) {
    throw new ForecastError('forecast.no-checkpoint', `no checkpoint in ${dir} (missing model.json)`, 'train one with `loadcast forecast train --out DIR`');
  }
  let file: CheckpointFile;
  try {
    file = JSON.parse(readFileSync(jsonPath, 'utf8')) as CheckpointFile;
  } catch (e) {
    throw new ForecastError('forecast.corrupt-checkpoint', `${jsonPath} is not valid JSON: ${(e as Error).message}`, 'the checkpoint is corrupt; retrain it');
  }
  if (file.format !== CHECKPOINT_FORMAT) {
    throw new ForecastError('forecast.corrupt-checkpoint', `${jsonPath}: unknown format "${String(file.format)}" (expected ${CHECKPOINT_FORMAT})`, 'retrain the model with this version of loadcast');
  }
  const { bodySha256, ...body } = file;
  if (sha(JSON.stringify(body)) !== bodySha256) {
    throw new ForecastError('forecast.corrupt-checkpoint', `${jsonPath}: checksum mismatch (the file was modified or damaged)`, 'retrain the model');
  }
  if (!existsSync(binPath)) {
    throw new ForecastError('forecast.corrupt-checkpoint', `${binPath} is missing`, 'copy the whole MODEL_DIR or retrain');
  }
  const buf = readFileSync(binPath);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (sha(bytes) !== body.weightsSha256) {
    throw new ForecastError('forecast.corrupt-checkpoint', `${binPath}: sha256 does not match model.json (weights damaged or from another model)`, 'retrain the model');
  }
  const all = new Float32Array(bytes.slice().buffer);
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const p of body.parameters) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (p.offset + n > all.length) {
      throw new ForecastError('forecast.corrupt-checkpoint', `${binPath}: parameter ${p.name} runs past the end of the file`, 'retrain the model');
    }
    weights.set(p.name, { shape: p.shape, data: all.subarray(p.offset, p.offset + n) });
  }
  body.config = makeConfig(body.config);
  return { body, weights };
}

/** Throws unless the checkpoint was trained on exactly this dataset (fingerprint, shape, task names). */
export function checkDataset(body: CheckpointBody, ds: MultiSeries, where: string): void {
  if (body.dataset.K !== ds.K || body.dataset.names.some((n, i) => n !== ds.names[i])) {
    throw new ForecastError(
      'forecast.checkpoint-mismatch',
      `${where} was trained on ${body.dataset.K} series that differ from this dataset's ${ds.K} (${ds.names.slice(0, 3).join(', ')}...)`,
      'evaluate it on the dataset it was trained on, or retrain on this one',
    );
  }
  if (body.dataset.fingerprint !== ds.fingerprint) {
    throw new ForecastError(
      'forecast.checkpoint-mismatch',
      `${where} was trained on dataset ${body.dataset.fingerprint}, this dataset is ${ds.fingerprint} (same series, different values or split)`,
      'evaluate it on the dataset it was trained on, or retrain on this one',
    );
  }
}

/** Copies checkpoint weights into a freshly built forecaster (names and shapes must match). */
export function applyWeights(f: Forecaster, weights: LoadedCheckpoint['weights'], where: string): void {
  if (!f.model) return;
  for (const [name, v] of f.model.params.vars) {
    const w = weights.get(name);
    if (!w || w.shape.join('x') !== v.shape.join('x')) {
      throw new ForecastError('forecast.corrupt-checkpoint', `${where}: parameter ${name} is missing or has the wrong shape`, 'retrain the model');
    }
  }
  // loss.logvar (learned weighting) exists only after training; create it so names line up.
  for (const [name, w] of weights) if (!f.model.params.vars.has(name)) f.model.params.get(name, w.shape, 'zeros');
  f.model.params.restore(weights);
}
