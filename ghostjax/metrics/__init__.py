"""Evaluation metrics: FID, KID, Inception Score, precision/recall (GANs); COCO mAP and mIoU
(dense prediction, ``detection``, ``segmentation``); AUROC and AUPRC (``anomaly``)."""
from ghostjax.metrics.fid import RunningStats, frechet_distance
from ghostjax.metrics.inception_score import inception_score
from ghostjax.metrics.kid import kernel_inception_distance, polynomial_mmd2
from ghostjax.metrics.precision_recall import precision_recall
