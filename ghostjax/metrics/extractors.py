"""Feature extractors for GAN metrics: ``__call__(images [N, H, W, C] in [-1, 1]) ->
(features [N, F], class probabilities [N, K])``.

``DomainExtractor``: the penultimate 1280-d features and class probabilities of a GhostNet
classifier trained on the same dataset (``ghostjax.training.gan.scoring.load_extractor`` builds
one from a ``train.classifier`` workdir). Scores computed with it are named "(GhostNet-<dataset>
features)" and are not comparable with Inception-based FIDs. ``InceptionExtractor``:
pytorch-fid's InceptionV3 (2048-d pool3 features, 1008-way softmax).
"""
from __future__ import annotations

import hashlib

import jax
import jax.numpy as jnp
import numpy as np

from ghostjax import data
from ghostjax.models.inception import InceptionV3FID


class DomainExtractor:
    """A trained GhostNet classifier ``model`` with ``variables`` (params, batch_stats), for
    images of ``image_shape`` from ``dataset`` (its normalisation); ``step``: the checkpoint's
    training step, part of the name."""

    def __init__(self, model, variables: dict, image_shape: tuple[int, int, int], dataset: str,
                 num_classes: int, step: int, batch_size: int = 500):
        self.image_shape = tuple(image_shape)
        self.num_classes = num_classes
        self.step = int(step)
        self.name = f'ghostnet-{dataset}-step{self.step}'
        # the weights' digest keys cached real statistics: a retrained extractor in the same
        # workdir (same name) must not reuse the old statistics
        digest = hashlib.sha1()
        for leaf in jax.tree.leaves((variables['params'], variables['batch_stats'])):
            digest.update(np.asarray(leaf).tobytes())
        self.fingerprint = digest.hexdigest()[:12]
        self.batch_size = batch_size
        mean, std = data.MEAN_STD.get(dataset, ((0.5,), (0.5,)))

        @jax.jit
        def extract(x):
            x = ((x + 1.0) * 0.5 - jnp.asarray(mean)) / jnp.asarray(std)
            feats = model.apply(variables, x, output='pre_logits')
            logits = model.apply(variables, x)
            return feats, jax.nn.softmax(logits.astype(jnp.float32))

        self._extract = extract

    def __call__(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return check_and_batch(self, images)


def check_and_batch(extractor, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validates ``images`` (shape ``extractor.image_shape``, range [-1, 1]) and runs
    ``extractor._extract`` over fixed-size batches (the last one padded: one compiled shape)."""
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or images.shape[1:] != extractor.image_shape:
        shape = ', '.join(map(str, extractor.image_shape))
        raise ValueError(f'the extractor expects images [N, {shape}] in [-1, 1], got shape '
                         f'{images.shape}')
    lo, hi = float(images.min()), float(images.max())
    if lo < -1.001 or hi > 1.001:
        raise ValueError(f'images must be in [-1, 1], got values in [{lo:.3g}, {hi:.3g}]')
    size = extractor.batch_size
    feats, probs = [], []
    for i in range(0, len(images), size):
        chunk = images[i:i + size]
        n = len(chunk)
        if n < size:
            chunk = np.concatenate([chunk, np.zeros((size - n, *chunk.shape[1:]), np.float32)])
        f, p = extractor._extract(chunk)
        feats.append(np.asarray(f)[:n])
        probs.append(np.asarray(p)[:n])
    return np.concatenate(feats), np.concatenate(probs)


class InceptionExtractor:
    """pytorch-fid's InceptionV3 with ``variables`` (``models.inception.load_fid_inception``):
    ``(features [N, 2048], probs [N, 1008])``."""

    def __init__(self, variables: dict, image_shape: tuple[int, int, int], batch_size: int = 50,
                 name: str = 'inception-2015-12-05'):
        self.image_shape, self.batch_size, self.name = tuple(image_shape), batch_size, name
        model = InceptionV3FID()
        self._extract = jax.jit(lambda x: model.apply(variables, x))

    def __call__(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return check_and_batch(self, images)
