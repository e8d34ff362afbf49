"""Applications of the GANs: data augmentation for a classifier and the Classification Accuracy
Score (``augment``)."""
