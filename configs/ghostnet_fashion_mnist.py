"""Default classifier: GhostNet 1.0x with the small-image stem on Fashion-MNIST (28x28x1).

  python -m train.classifier --config configs/ghostnet_fashion_mnist.py --workdir runs/cls

Its recipe (flips, no crops, no label smoothing) was first chosen on test accuracy during
development (93.04% test accuracy, CHANGELOG 0.1), then again on validation by projects/recipe:
93.38% validation accuracy, best of its 4 arms (results/recipe/flips.json).
"""
import ml_collections


def get_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.dataset = 'fashion_mnist'
    c.train_split = 'train'
    c.eval_split = 'test'  # 'validation' with a subset: the part carved from it
    c.test_split = ''  # '' none; else scored once at the end, under 'test' in the result
    # A labelled subset of the train split: per_class images of each class (0: all), chosen by
    # seed, val_fraction of them held out as the 'validation' split.
    c.subset = ml_collections.ConfigDict({'per_class': 0, 'seed': 0, 'val_fraction': 0.2})
    # Images of a class-conditional train.gan run in every batch: ratio in [0, 1) of
    # batch_size; truncation 0 = plain normal latents, else their bound (see
    # projects/augment/configs/classifier.py).
    c.synthetic = ml_collections.ConfigDict({'gan_workdir': '', 'ratio': 0.0,
                                             'truncation': 0.0, 'seed': 0})
    c.data_dir = ''  # '' = $TFDS_DATA_DIR or ~/tensorflow_datasets
    # Extra ghostjax.data.Preprocess fields. Flips only, no crops: best on validation of the
    # arms in projects/recipe; docs/protocol.md lists what inherits it.
    c.input = ml_collections.ConfigDict({'crop_padding': 0})
    c.model = ml_collections.ConfigDict(dict(
        width=1.0, dropout=0.2, stem_stride=1, version=1, impl='auto',
        dtype='float32', stages=()))  # stages=() is the paper's table
    c.optimizer = 'sgd'
    c.learning_rate = 0.1
    c.momentum = 0.9
    c.nesterov = True
    c.weight_decay = 5e-5
    c.schedule = 'cosine'
    c.warmup_epochs = 0.5
    c.label_smoothing = 0.0
    c.batch_size = 128
    c.eval_batch_size = 500
    c.num_epochs = 6
    c.num_train_steps = 0  # > 0 overrides num_epochs
    c.data_parallel = True  # over every device of every process (False: the first device only)
    c.seed = 0
    c.log_every_steps = 50
    c.checkpoint_every_steps = 500
    c.checkpoints_to_keep = 3
    c.eval_every_epochs = 0  # 0: only the final evaluation
    return c
