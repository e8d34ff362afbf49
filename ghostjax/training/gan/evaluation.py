"""FID, KID, IS and precision/recall of a GAN checkpoint or of any generator's variables."""
from __future__ import annotations

import os
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ghostjax import data
from ghostjax.metrics.evaluate import evaluate_sampler, real_statistics
from ghostjax.metrics.mode_collapse import label_histogram
from ghostjax.training import logging as log_lib
from ghostjax.training.evaluation import load_extractor
from ghostjax.training.gan.step import restore, sampling_variables


def evaluate(workdir: str, extractor: str, num_samples: int = 10000,
             step: int | None = None, cache_dir: str | None = None) -> dict[str, Any]:
    """FID, KID, IS, precision/recall (and the class histogram with its KL to the data's) of
    the checkpoint at ``step`` (EMA generator when the run keeps one) against the dataset's
    test split. ``extractor``: a ``train.classifier`` workdir (domain GhostNet features) or
    pytorch-fid's Inception ``.pth`` file. Writes ``{workdir}/eval_step_{step}.json``."""
    config, g_model, state, meta = restore(workdir, step)
    metrics = generator_metrics(config, g_model, sampling_variables(config, state), meta,
                                extractor, num_samples, cache_dir)
    metrics.update(step=int(state.step), weights='ema' if config.ema_decay else 'generator')
    log_lib.write_json(os.path.join(workdir, f'eval_step_{int(state.step)}.json'), metrics)
    return metrics


def generator_metrics(config, g_model, variables: dict, meta: dict, extractor: str,
                      num_samples: int = 10000, cache_dir: str | None = None) -> dict[str, Any]:
    """FID, KID, IS and precision/recall of ``g_model.apply(variables, z, labels)`` (eval mode;
    any generator with these variables, e.g. a pruned or quantized one) against the test split.
    The latents are the same for every call with the same ``config.seed``."""
    extractor = load_extractor(extractor, tuple(meta['image_shape']))
    split = data.load(config.dataset, config.get('eval_split', 'test'),
                      config.get('data_dir') or None)
    real = real_statistics(extractor, split, cache_dir)
    generate = jax.jit(lambda v, z, labels: g_model.apply(v, z, labels, train=False))
    key = jax.random.key(config.seed + 2)

    def draw(start: int, n: int) -> np.ndarray:
        z = jax.random.normal(jax.random.fold_in(key, start), (n, g_model.z_dim))
        labels = ((jnp.arange(start, start + n) % meta['num_classes'])
                  if config.conditional else None)
        return np.asarray(generate(variables, z, labels))

    histogram = None  # the class view needs a classifier of the dataset's own classes
    if getattr(extractor, 'num_classes', None) == split.num_classes and split.labels is not None:
        histogram = label_histogram(split.labels, split.num_classes)
    metrics = evaluate_sampler(extractor, draw, num_samples, real, data_histogram=histogram)
    metrics.update(split=split.split, dataset=config.dataset)
    return metrics
