"""The studies' protocol (docs/protocol.md): choices on validation carved from train, the test
split only scored. Read from the configs the study runners actually build."""
import numpy as np

from ghostjax.data import from_arrays, scenes, subsets
from projects.anomaly import study as anomaly_study
from projects.augment import study as augment_study
from projects.common import runs as runs_lib
from projects.ghostgan import study as ghostgan_study


def _split(n_per_class=50, classes=10):
    """Image i holds its index i (two bytes), so a split's images name the examples it took."""
    labels = np.repeat(np.arange(classes), n_per_class)
    index = np.arange(len(labels))
    images = np.stack([index // 256, index % 256], -1).astype(np.uint8)[:, None, :, None]
    return from_arrays(images, labels, classes)


def _ids(split):
    return set((split.images[:, 0, 0, 0].astype(int) * 256 + split.images[:, 0, 1, 0]).tolist())


def test_augmentation_arms_are_chosen_on_validation_and_the_gan_never_sees_it():
    study = runs_lib.load_config_file('projects/augment/configs/study.py')
    for per_class in study.per_class:
        for seed in study.seeds:
            gan = augment_study.gan_config(study, per_class, seed)
            cls = augment_study.classifier_config(study, per_class, seed)
            assert (cls.train_split, cls.eval_split, cls.test_split) == (
                'train', 'validation', 'test')
            assert gan.train_split == 'train'
            # the GAN's images are the classifier's training part, never its validation part
            split = _split(n_per_class=max(study.per_class))
            g_train, _ = subsets.select(split, gan.subset)
            c_train, c_val = subsets.select(split, cls.subset)
            np.testing.assert_array_equal(g_train.images, c_train.images)
            assert _ids(c_val) and not _ids(c_val) & _ids(c_train)


def test_the_ghostgan_study_picks_no_checkpoint_and_trains_on_train():
    study = runs_lib.load_config_file('projects/ghostgan/configs/study.py')
    for name, pair in ghostgan_study.load_pairs(study).items():
        c = ghostgan_study.run_config(pair, study, 0)
        assert c.train_split == 'train', name
        assert c.eval.final_num_samples == study.final_num_samples  # the last step is reported


def test_the_recipe_screening_chooses_on_the_training_split_alone():
    study = runs_lib.load_config_file('projects/ghostgan/configs/screening.py')
    for name, pair in ghostgan_study.load_pairs(study).items():
        c = ghostgan_study.run_config(pair, study, 0)
        assert (c.train_split, c.eval_split) == ('train', 'train'), name


def test_the_anomaly_gan_trains_on_the_normal_class_of_the_train_split():
    study = runs_lib.load_config_file('projects/anomaly/configs/study.py')
    assert (study.train_split, study.test_split) == ('train', 'test')
    c = anomaly_study.gan_config(study, normal=3, seed=0)
    assert c.train_split == study.train_split and tuple(c.subset.classes) == (3,)


def test_scene_splits_paste_disjoint_items():
    """Train and validation scenes take different Fashion-MNIST train images; test scenes take
    the test images, which nothing trains on."""
    sources = scenes.ITEM_SOURCES
    assert sources['test'][0] == 'test' and {sources['train'][0], sources['validation'][0]} == {
        'train'}
    (_, lo_t, hi_t), (_, lo_v, hi_v) = sources['train'], sources['validation']
    assert hi_t <= lo_v or hi_v <= lo_t
