/** Model registry: builds the neural forecaster for a config. */
import type { ForecastConfig } from '../config.ts';
import type { ModelContext, NeuralForecaster } from './model.ts';
import { createShared } from './shared.ts';
import { createDLinear } from './dlinear.ts';
import { createMlp } from './mlp.ts';
import { createLstm } from './lstm.ts';
import { createTransformer } from './transformer.ts';

export type { ModelContext, ModelInput, NeuralForecaster } from './model.ts';

export function createModel(cfg: ForecastConfig, ctx: ModelContext): NeuralForecaster {
  switch (cfg.model) {
    case 'shared':
      return createShared(ctx, cfg.seed);
    case 'dlinear':
      return createDLinear(ctx, cfg.seed);
    case 'mlp':
      return createMlp(ctx, cfg.seed);
    case 'lstm':
      return createLstm(ctx, cfg.seed, false);
    case 'bilstm':
      return createLstm(ctx, cfg.seed, true);
    case 'transformer':
      return createTransformer(ctx, cfg.seed);
    default:
      throw new Error(`${cfg.model} is not a neural model`);
  }
}
