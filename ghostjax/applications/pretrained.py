"""Trained models in one call: a ``train.gan`` run's generator to sample from, a
``train.classifier`` run (e.g. the shipped FID extractor) to predict with::

    from ghostjax.applications import pretrained
    generator = pretrained.Generator.load('runs/gan')        # `make run`'s GAN
    images = generator.sample(16, seed=0)                     # [16, 28, 28, 1] in [-1, 1]
    classifier = pretrained.Classifier.load('assets/extractor_fashion_mnist')
    probabilities = classifier.predict(images)                # [16, 10]

Nothing trains or compiles on load (the checkpoint restores into a traced template); the
first call of ``sample`` / ``predict`` compiles.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ghostjax.metrics.extractors import DomainExtractor
from ghostjax.training import gan as gan_lib
from ghostjax.training.classifier import restore_classifier


class Generator:
    """The sampling weights (EMA where the run keeps one) of a ``train.gan`` run's generator.

    Attributes: ``image_shape`` ``(H, W, C)``, ``num_classes`` (0: unconditional), ``z_dim``,
    ``step`` (of the checkpoint), ``config`` (the run's).
    """

    def __init__(self, config, model, state: gan_lib.GANState, meta: dict):
        self.config, self.step = config, int(state.step)
        self.image_shape = tuple(meta['image_shape'])
        self.num_classes = meta['num_classes'] if config.conditional else 0
        self.z_dim = model.z_dim
        self.variables = gan_lib.sampling_variables(config, state)
        self._apply = jax.jit(functools.partial(model.apply, train=False))

    @classmethod
    def load(cls, workdir: str, step: int | None = None) -> 'Generator':
        """The generator of the ``train.gan`` run in ``workdir`` at ``step`` (default latest)."""
        config, model, state, meta = gan_lib.restore(workdir, step)
        return cls(config, model, state, meta)

    def sample(self, n: int, seed: int = 0, labels=None) -> np.ndarray:
        """``n`` images ``[n, H, W, C]`` float32 in [-1, 1] from latents drawn with ``seed``.
        A conditional generator takes ``labels [n]`` (default: the classes in turn)."""
        if n < 1:
            raise ValueError(f'n must be at least 1, got {n}')
        if self.num_classes:
            labels = jnp.arange(n) % self.num_classes if labels is None else jnp.asarray(labels)
            if labels.shape != (n,) or not bool(jnp.all((labels >= 0)
                                                        & (labels < self.num_classes))):
                raise ValueError(f'labels must be [{n}] integers in 0 .. {self.num_classes - 1},'
                                 f' got {np.asarray(labels)!r}')
        elif labels is not None:
            raise ValueError('this generator is unconditional: it takes no labels')
        z = jax.random.normal(jax.random.key(seed), (n, self.z_dim))
        return np.asarray(self._apply(self.variables, z, labels))


class Classifier:
    """A ``train.classifier`` run's GhostNet in eval mode, for images ``[N, H, W, C]`` either
    uint8 (0..255, as the dataset stores them) or float in [-1, 1] (as generators make them).

    Attributes: ``image_shape``, ``num_classes``, ``step``, ``config``.
    """

    def __init__(self, config, model, state, meta: dict):
        self.config, self.step = config, int(state.step)
        self.image_shape = tuple(meta['image_shape'])
        self.num_classes = meta['num_classes']
        self._extractor = DomainExtractor(
            model, {'params': state.params, 'batch_stats': state.batch_stats},
            self.image_shape, config.dataset, self.num_classes, state.step)

    @classmethod
    def load(cls, workdir: str, step: int | None = None) -> 'Classifier':
        """The classifier of the ``train.classifier`` run in ``workdir`` (default latest)."""
        return cls(*restore_classifier(workdir, step))

    def _run(self, images) -> tuple[np.ndarray, np.ndarray]:
        images = np.asarray(images)
        if images.dtype == np.uint8:
            images = images.astype(np.float32) / 127.5 - 1.0
        return self._extractor(images)

    def predict(self, images) -> np.ndarray:
        """Class probabilities ``[N, num_classes]``."""
        return self._run(images)[1]

    def features(self, images) -> np.ndarray:
        """The pre-logit features ``[N, D]`` (what FID, KID and precision/recall compare)."""
        return self._run(images)[0]
