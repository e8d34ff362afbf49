"""The base classifier's recipe (configs/ghostnet_fashion_mnist.py: GhostNet 1.0x, 6 epochs)
chosen on validation: a tenth of each class of the train split is held out, every arm trains
on the rest under the same budget, and the arm with the best validation accuracy is chosen.
The test split is not read.

  python -m projects.recipe.main --config projects/recipe/configs/study.py \
      --workdir runs/recipe [--max_runs=N]

Arms run in ``order`` (the shipped recipe first, then the recipe it was preferred to); each writes
runs/recipe/results/{arm}.json when it finishes. Measured: see projects/recipe/README.md
(not every arm has run yet).
"""
import ml_collections


def get_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.classifier = 'configs/ghostnet_fashion_mnist.py'
    # arm -> the config values it sets on top of the classifier's
    c.arms = {
        'flips': {},
        'flips_crops_ls': {'input': {'crop_padding': 2}, 'label_smoothing': 0.1},
        'flips_crops': {'input': {'crop_padding': 2}},
        'flips_ls': {'label_smoothing': 0.1},
    }
    c.per_class = 6000  # every train image: Fashion-MNIST has 6,000 per class
    c.order = ('flips', 'flips_crops_ls', 'flips_crops', 'flips_ls')
    c.val_fraction = 0.1  # of each class, held out of the train split
    c.seed = 0
    return c
