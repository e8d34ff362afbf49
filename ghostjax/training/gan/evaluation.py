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
from ghostjax.training import writers
from ghostjax.training.evaluation import load_extractor
from ghostjax.training.gan.step import restore, sampling_variables


class GeneratorScorer:
    """Scores variables of ``g_model`` against the test split (``config.eval_split``).

    Built once per run: the extractor, the split's cached real statistics and the jitted
    generator load and compile once, and every call scores the same latents (``config.seed``).
    ``extractor``: a ``train.classifier`` workdir (domain GhostNet features) or pytorch-fid's
    Inception ``.pth`` file.
    """

    def __init__(self, config, g_model, meta: dict, extractor: str,
                 cache_dir: str | None = None):
        self.extractor = load_extractor(extractor, tuple(meta['image_shape']))
        self.split = data.load(config.dataset, config.get('eval_split', 'test'),
                               config.get('data_dir') or None)
        self.real = real_statistics(self.extractor, self.split, cache_dir)
        self.dataset = config.dataset
        self._generate = jax.jit(lambda v, z, labels: g_model.apply(v, z, labels, train=False))
        self._key = jax.random.key(config.seed + 2)
        self._z_dim = g_model.z_dim
        self._num_classes = meta['num_classes'] if config.conditional else 0
        self.histogram = None  # the class view needs a classifier of the dataset's own classes
        if (getattr(self.extractor, 'num_classes', None) == self.split.num_classes
                and self.split.labels is not None):
            self.histogram = label_histogram(self.split.labels, self.split.num_classes)

    def __call__(self, variables: dict, num_samples: int = 10000) -> dict[str, Any]:
        def draw(start: int, n: int) -> np.ndarray:
            z = jax.random.normal(jax.random.fold_in(self._key, start), (n, self._z_dim))
            labels = ((jnp.arange(start, start + n) % self._num_classes)
                      if self._num_classes else None)
            return np.asarray(self._generate(variables, z, labels))

        metrics = evaluate_sampler(self.extractor, draw, num_samples, self.real,
                                   data_histogram=self.histogram)
        metrics.update(split=self.split.split, dataset=self.dataset)
        return metrics


def generator_metrics(config, g_model, variables: dict, meta: dict, extractor: str,
                      num_samples: int = 10000, cache_dir: str | None = None) -> dict[str, Any]:
    """FID, KID, IS and precision/recall of ``g_model.apply(variables, z, labels)`` (eval mode;
    any generator with these variables, e.g. a pruned or quantized one) against the test split.
    The latents are the same for every call with the same ``config.seed``."""
    return GeneratorScorer(config, g_model, meta, extractor, cache_dir)(variables, num_samples)


def write_scores(workdir: str, config, step: int, metrics: dict[str, Any]) -> dict[str, Any]:
    """Adds the step and which weights were scored; writes ``{workdir}/eval_step_{step}.json``."""
    metrics = {**metrics, 'step': step, 'weights': 'ema' if config.ema_decay else 'generator'}
    writers.write_json(os.path.join(workdir, f'eval_step_{step}.json'), metrics)
    return metrics


def evaluate(workdir: str, extractor: str, num_samples: int = 10000,
             step: int | None = None, cache_dir: str | None = None) -> dict[str, Any]:
    """FID, KID, IS, precision/recall (and the class histogram with its KL to the data's) of
    the checkpoint at ``step`` (EMA generator when the run keeps one) against the dataset's
    test split. Writes ``{workdir}/eval_step_{step}.json``."""
    config, g_model, state, meta = restore(workdir, step)
    metrics = generator_metrics(config, g_model, sampling_variables(config, state), meta,
                                extractor, num_samples, cache_dir)
    return write_scores(workdir, config, int(state.step), metrics)
