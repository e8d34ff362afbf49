"""Applications of the GANs: data augmentation for a classifier and the Classification Accuracy
Score (``augment``), one-class anomaly detection in the f-AnoGAN manner (``anomaly``)."""
