"""FID, KID, IS and precision/recall of a sampler against a dataset split.

Real-split statistics are computed once per (dataset, split, extractor) and cached on disk;
generated features are reduced batch by batch (``RunningStats``), keeping only a bounded
subset for KID and precision/recall.
"""
from __future__ import annotations

import os
import time
from typing import Callable

import numpy as np

from ghostjax import data
from ghostjax.metrics.fid import RunningStats, frechet_distance
from ghostjax.metrics.inception_score import inception_score
from ghostjax.metrics.kid import kernel_inception_distance
from ghostjax.metrics.mode_collapse import class_histogram, histogram_kl
from ghostjax.metrics.precision_recall import precision_recall


def default_cache_dir() -> str:
    return os.path.join(data.default_data_dir(), 'ghostjax_fid_stats')


def real_statistics(extractor, split: data.Split, cache_dir: str | None = None,
                    subset: int = 5000, batch: int = 1000) -> dict[str, np.ndarray]:
    """``{'mu', 'sigma', 'n', 'features' (first ``subset``)}`` of a split, cached on disk."""
    cache_dir = cache_dir or default_cache_dir()
    key = '-'.join(filter(None, (extractor.name, getattr(extractor, 'fingerprint', ''))))
    path = os.path.join(cache_dir, f'{split.name}-{split.split}-{key}.npz')
    if os.path.exists(path):
        with np.load(path) as f:
            return dict(f)
    pre = data.Preprocess.for_gan(image_size=extractor.image_shape[0],
                                  channels=extractor.image_shape[-1])
    stats, kept = None, []
    for i in range(0, split.num_examples, batch):
        images, _ = split.read(np.arange(i, min(i + batch, split.num_examples)))
        feats, _ = extractor(pre(images))
        stats = stats or RunningStats(feats.shape[1])
        stats.update(feats)
        if sum(map(len, kept)) < subset:
            kept.append(feats)
    out = {'mu': stats.mean, 'sigma': stats.cov, 'n': np.asarray(stats.n),
           'features': np.concatenate(kept)[:subset]}
    os.makedirs(cache_dir, exist_ok=True)
    tmp = f'{path}.tmp-{os.getpid()}.npz'
    np.savez(tmp, **out)
    os.replace(tmp, path)
    return out


def evaluate_sampler(extractor, sample: Callable[[int, int], np.ndarray], num_samples: int,
                     real: dict[str, np.ndarray], batch: int = 1000, subset: int = 5000,
                     is_splits: int = 10, data_histogram: np.ndarray | None = None
                     ) -> dict[str, float]:
    """Metrics of ``num_samples`` images from ``sample(start, n) -> [n, H, W, C]`` in [-1, 1].

    With ``data_histogram`` (the data's class fractions, for an extractor that classifies the
    dataset's own classes), also the generated class histogram and its KL to the data's.
    """
    t0 = time.perf_counter()
    stats, kept, probs = None, [], []
    for start in range(0, num_samples, batch):
        feats, p = extractor(sample(start, min(batch, num_samples - start)))
        stats = stats or RunningStats(feats.shape[1])
        stats.update(feats)
        probs.append(p)
        if sum(map(len, kept)) < subset:
            kept.append(feats)
    fake = np.concatenate(kept)[:subset]
    fid = frechet_distance(real['mu'], real['sigma'], stats.mean, stats.cov,
                           num_samples=min(int(real['n']), stats.n))
    kid_mean, kid_std = kernel_inception_distance(real['features'], fake,
                                                  subset_size=min(1000, len(fake)))
    is_mean, is_std = inception_score(np.concatenate(probs), splits=is_splits)
    precision, recall = precision_recall(real['features'], fake)
    out = {'fid': fid, 'kid_mean': kid_mean, 'kid_std': kid_std, 'is_mean': is_mean,
           'is_std': is_std, 'precision': precision, 'recall': recall,
           'num_samples': num_samples, 'extractor': extractor.name}
    if data_histogram is not None:
        hist = class_histogram(np.concatenate(probs), len(data_histogram))
        out.update(class_histogram=[round(float(h), 5) for h in hist],
                   class_kl=histogram_kl(hist, data_histogram))
    out['eval_s'] = round(time.perf_counter() - t0, 1)
    return out
