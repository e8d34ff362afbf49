"""Scoring generators: FID, KID, IS and precision/recall of a GAN checkpoint or of any
generator's variables, in the features of an extractor resolved from a path."""
from __future__ import annotations

import os
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ghostjax import data
from ghostjax.metrics.extractors import DomainExtractor, InceptionExtractor
from ghostjax.metrics.mode_collapse import label_histogram
from ghostjax.metrics.sample_quality import evaluate_sampler, real_statistics
from ghostjax.models.inception import load_fid_inception
from ghostjax.training import writers
from ghostjax.training.classifier import restore_classifier
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


def load_extractor(spec: str, image_shape: tuple[int, int, int]):
    """``spec``: a ``train.classifier`` workdir (its GhostNet is the domain feature extractor)
    or the path of pytorch-fid's ``pt_inception-2015-12-05-*.pth`` (standard Inception
    features). ValueError when the classifier takes other images than ``image_shape``."""
    if spec.endswith('.pth'):
        return InceptionExtractor(load_fid_inception(spec), image_shape)
    config, model, state, meta = restore_classifier(spec)
    extractor = DomainExtractor(model, {'params': state.params, 'batch_stats': state.batch_stats},
                                meta['image_shape'], config.dataset, meta['num_classes'],
                                int(state.step))
    if extractor.image_shape != tuple(image_shape):
        raise ValueError(f'the classifier in {spec} takes {extractor.image_shape} images, the '
                         f'generator makes {tuple(image_shape)}')
    return extractor


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
