"""``train_and_evaluate`` for GANs: the loop skeleton with sample grids and periodic metrics."""
from __future__ import annotations

import functools
import os
import time
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from ghostjax import data
from ghostjax.data import subsets
from ghostjax.training import writers
from ghostjax.training import loop
from ghostjax.training.gan.scoring import GeneratorScorer, write_scores
from ghostjax.training.gan.samples import diversity, image_grid, sample, save_png
from ghostjax.training.gan.step import (check_config, create_models, create_state,
                                        input_pipeline, sampling_variables, step_config,
                                        train_step, warm_start)
from ghostjax.training.parallel import compile_step, data_mesh, host_copy


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str,
                       evals: Sequence[loop.Evaluation] = ()) -> dict[str, Any]:
    """Trains the GAN of ``config``, resuming from ``workdir``; writes samples, metrics, JSON.
    ``evals``: more evaluations during training, beside the sample grids and scores."""
    check_config(config)
    mesh = data_mesh(all_devices=config.data_parallel)
    data.check_batch(config.batch_size, mesh.size)
    os.makedirs(os.path.join(workdir, 'samples'), exist_ok=True)
    split = data.load(config.dataset, config.train_split, config.get('data_dir') or None)
    split, _ = subsets.select(split, config.get('subset'))  # a low-data run's labelled part
    pre, image_shape = input_pipeline(config, split)
    g_model, d_model = create_models(config, image_shape[0], image_shape[-1], split.num_classes,
                                     'batch')
    g_eval, _ = create_models(config, image_shape[0], image_shape[-1], split.num_classes)
    state = create_state(config, g_model, d_model, image_shape, jax.random.key(config.seed))
    p_step = compile_step(functools.partial(train_step, cfg=step_config(config, g_model.z_dim)),
                          mesh)
    fixed_z = jax.random.normal(jax.random.key(config.seed + 1), (config.num_grid, g_model.z_dim))
    fixed_labels = (jnp.arange(config.num_grid) % split.num_classes) if config.conditional else None
    p_sample = jax.jit(functools.partial(sample, g_eval))
    extractor_dir = config.eval.get('extractor_workdir', '')  # checked by check_config
    meta = {'image_shape': list(image_shape), 'num_classes': split.num_classes}
    with loop.Run(workdir, mesh=mesh, desc='gan', finite_keys=('d_loss', 'g_loss'),
                  postfix={'d': 'd_loss', 'g': 'g_loss'}, meta=meta,
                  params_of=lambda s: (s.g.params, s.d.params),
                  keep=config.checkpoints_to_keep, config=config.to_dict()) as run:
        state = run.resume(state)
        if int(state.step) == 0 and config.get('init_from'):
            state = warm_start(state, config.init_from)
        base_rng = jax.random.wrap_key_data(np.asarray(state.rng))  # a copy: state is donated

        def write_samples(step: int, state) -> dict[str, float] | None:
            if jax.process_index() != 0:
                return None
            s = host_copy(state)
            images = np.asarray(p_sample(s.g, sampling_variables(config, s)['params'], fixed_z,
                                         fixed_labels))
            grid = image_grid(images)
            save_png(os.path.join(workdir, 'samples', f'step_{step:07d}.png'), grid)
            save_png(os.path.join(workdir, 'samples', 'latest.png'), grid)
            writers.say(f'samples step {step} -> {workdir}/samples/step_{step:07d}.png')
            run.writer.image(step, 'samples', grid)
            return {'diversity': float(diversity(jnp.asarray(images)))}

        # The generator is scored from memory by process 0 alone; the others go on to the
        # next step's collectives and wait there.
        scorer = (GeneratorScorer(config, g_eval, meta, extractor_dir)
                  if extractor_dir and jax.process_index() == 0 else None)

        def score(step: int, state, num_samples: int) -> dict[str, Any]:
            if scorer is None:
                return {}
            writers.say(f'step {step}: scoring {num_samples} samples (FID, KID, IS, '
                        'precision/recall)')
            metrics = scorer(host_copy(sampling_variables(config, state)), num_samples)
            metrics = write_scores(workdir, config, step, metrics)
            writers.say(f'step {step}: FID {metrics["fid"]:.2f}, IS {metrics["is_mean"]:.2f}, '
                        f'precision {metrics["precision"]:.2f}, recall {metrics["recall"]:.2f} '
                        f'({num_samples} samples) -> {workdir}/eval_step_{step}.json')
            return metrics

        def evaluate_now(step: int, state) -> dict[str, Any]:
            return score(step, state, config.eval.num_samples)

        samples = loop.Evaluation('samples', config.sample_every_steps, write_samples)
        t0, start = time.perf_counter(), int(state.step)
        eval_every = config.eval.get('every_steps', 0) if extractor_dir else 0
        state, step = run.train(
            state, p_step, split, pre, total=config.num_train_steps,
            global_batch=config.batch_size, seed=config.seed, rng=base_rng,
            log_every=config.log_every_steps, checkpoint_every=config.checkpoint_every_steps,
            evals=[samples, loop.Evaluation('eval', eval_every, evaluate_now), *evals])
        if run.stopped:
            return {'stopped_at_step': step}
        run.evaluate(samples, step, state)
        result = {'step': step, 'start_step': start,
                  'train_wall_s': round(time.perf_counter() - t0, 1),
                  'generator': config.generator.name, 'discriminator': config.discriminator.name,
                  'loss': config.loss, 'conditional': bool(config.conditional),
                  'dataset': config.dataset, 'train_examples': split.num_examples}
        final = score(step, state, config.eval.get('final_num_samples')
                      or config.eval.num_samples)
        if final:
            run.writer.scalars(step, final, 'eval/')
        result.update(final)
        writers.write_json(os.path.join(workdir, 'train_result.json'), result)
        return result
