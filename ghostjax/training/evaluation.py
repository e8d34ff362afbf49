"""Feature extractors for evaluation, resolved from what a user passes on the command line."""
from __future__ import annotations

from ghostjax.metrics.extractors import DomainExtractor, InceptionExtractor
from ghostjax.models.inception import load_fid_inception
from ghostjax.training.classifier import restore_classifier


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
