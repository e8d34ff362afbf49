"""Feature extractors for GAN metrics.

``DomainExtractor``: the penultimate 1280-d features and class probabilities of a GhostNet
classifier trained by ``train.classifier`` on the same dataset. Scores computed with it are
named "(GhostNet-<dataset> features)" and are not comparable with Inception-based FIDs.
"""
from __future__ import annotations

import hashlib

import jax
import jax.numpy as jnp
import numpy as np

from ghostjax import data


class DomainExtractor:
    """``__call__(images [N, H, W, C] in [-1, 1]) -> (features [N, 1280], probs [N, K])``."""

    def __init__(self, classifier_workdir: str, step: int | None = None, batch_size: int = 500):
        from ghostjax.training.classifier import restore_classifier
        config, model, state, meta = restore_classifier(classifier_workdir, step)
        self.image_shape = tuple(meta['image_shape'])
        self.num_classes = meta['num_classes']
        self.step = int(state.step)
        self.name = f'ghostnet-{config.dataset}-step{self.step}'
        # the weights' digest keys cached real statistics: a retrained extractor in the same
        # workdir (same name) must not reuse the old statistics
        digest = hashlib.sha1()
        for leaf in jax.tree.leaves((state.params, state.batch_stats)):
            digest.update(np.asarray(leaf).tobytes())
        self.fingerprint = digest.hexdigest()[:12]
        self.batch_size = batch_size
        mean, std = data.MEAN_STD.get(config.dataset, ((0.5,), (0.5,)))
        variables = {'params': state.params, 'batch_stats': state.batch_stats}

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


def make_extractor(spec: str, image_shape: tuple[int, int, int]):
    """``spec``: a ``train.classifier`` workdir (domain GhostNet features) or the path of
    pytorch-fid's ``pt_inception-2015-12-05-*.pth`` (standard Inception features)."""
    if spec.endswith('.pth'):
        from ghostjax.metrics.inception import InceptionExtractor, load_fid_inception
        return InceptionExtractor(load_fid_inception(spec), image_shape)
    extractor = DomainExtractor(spec)
    if extractor.image_shape != tuple(image_shape):
        raise ValueError(f'the classifier in {spec} takes {extractor.image_shape} images, the '
                         f'generator makes {tuple(image_shape)}')
    return extractor
