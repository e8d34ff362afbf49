"""GANs: exact architectures, Ghost budgets, losses against closed forms, steps and training."""
import functools
import json
import os

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ghostjax.optim import pruning
from ghostjax.training import losses
from ghostjax.training import checkpoint as ckpt_lib
from configs import dcgan32_cifar10, dcgan64_celeba
from ghostjax.training import gan as gan_lib
from ghostjax.training.gan.step import check_extractor
from ghostjax.training.gan import step as gan_step
from ghostjax.training import writers
from tests.helpers import ROOT, assert_trees_close, needs_fmnist, tiny_gan_config



@pytest.mark.parametrize('field,value,match', [
    ('loss', 'wasserstein', "unknown loss 'wasserstein'"),
    ('n_critic', 0, 'n_critic must be >= 1, got 0'),
    ('g_learning_rate', 0.0, 'g_learning_rate must be > 0, got 0.0'),
    ('d_learning_rate', -1e-4, 'd_learning_rate must be > 0'),
    ('diffaugment', 'color,flip', "unknown DiffAugment operation 'flip'"),
    ('r1_every', 0, r'r1_every \(the lazy R1 interval in steps\) must be an integer >= 1, got 0'),
])
def test_bad_config_fails_before_compiling(tmp_path, field, value, match):
    with pytest.raises(ValueError, match=match):
        gan_lib.train_and_evaluate(tiny_gan_config(**{field: value}), str(tmp_path))
    assert not os.path.exists(tmp_path / 'checkpoints')


@needs_fmnist
def test_bad_generator_for_the_data(tmp_path):
    config = tiny_gan_config()
    config.generator.name = 'dcgan'
    config.generator.kwargs = {}
    with pytest.raises(ValueError, match='cannot make 28x28x1 images'):
        gan_lib.train_and_evaluate(config, str(tmp_path))


@needs_fmnist
def test_gan_resume_equals_uninterrupted_and_writes_samples(tmp_path):
    gan_lib.train_and_evaluate(tiny_gan_config(), str(tmp_path / 'full'))
    gan_lib.train_and_evaluate(tiny_gan_config(num_train_steps=3), str(tmp_path / 'part'))
    gan_lib.train_and_evaluate(tiny_gan_config(), str(tmp_path / 'part'))
    states = []
    for w in ('full', 'part'):
        c = ckpt_lib.Checkpointer(str(tmp_path / w))
        assert c.latest_step() == 6
        import orbax.checkpoint as ocp
        states.append(c.manager.restore(6, args=ocp.args.Composite(
            state=ocp.args.StandardRestore()))['state'])
    chex.assert_trees_all_equal(jax.tree.map(np.asarray, states[0]),
                                jax.tree.map(np.asarray, states[1]))
    assert {'step_0000003.png', 'step_0000006.png', 'latest.png'} <= set(
        os.listdir(tmp_path / 'part' / 'samples'))


@needs_fmnist
def test_scores_during_training_equal_a_restored_checkpoints(tmp_path, extractor_workdir):
    """Every k steps and at the end the trainer scores the generator from memory; the scores
    (and files) are those of ``gan.evaluate`` on the checkpoint of that step."""
    config = tiny_gan_config()
    config.eval.update(extractor_workdir=extractor_workdir, every_steps=3, num_samples=200,
                       final_num_samples=300)
    workdir = str(tmp_path / 'gan')
    result = gan_lib.train_and_evaluate(config, workdir)
    assert result['step'] == 6 and result['num_samples'] == 300
    keys = ('fid', 'kid_mean', 'is_mean', 'precision', 'recall', 'class_kl', 'num_samples')
    for step, n in ((3, 200), (6, 300)):
        with open(os.path.join(workdir, f'eval_step_{step}.json')) as f:
            during = json.load(f)
        assert during['step'] == step and during['weights'] == 'ema'
        restored = gan_lib.evaluate(workdir, extractor_workdir, n, step=step)
        np.testing.assert_allclose([during[k] for k in keys], [restored[k] for k in keys],
                                   rtol=1e-6)
    assert result['fid'] == during['fid']


@needs_fmnist
def test_gan_non_finite_loss_stops_with_the_step(tmp_path):
    config = tiny_gan_config(g_learning_rate=1e35, d_learning_rate=1e35, num_train_steps=10,
                          checkpoint_every_steps=1, log_every_steps=1)
    with pytest.raises(writers.NonFiniteLossError, match=r'at step \d+'):
        gan_lib.train_and_evaluate(config, str(tmp_path))


def test_image_grid_and_diversity():
    images = np.stack([np.full((4, 4, 1), v) for v in (-1.0, 1.0, 0.0)])
    grid = gan_lib.image_grid(images, cols=2)
    assert grid.shape == (2 * 5 + 1, 2 * 5 + 1, 1) and grid.dtype == np.uint8
    assert grid[1, 1, 0] == 0 and grid[1, 6, 0] == 255 and grid[6, 1, 0] == 128
    assert float(gan_lib.diversity(jnp.zeros((5, 4, 4, 1)))) < 1e-3
    assert float(gan_lib.diversity(jnp.asarray(images))) > 1.0


def test_ema_decay_warms_up_then_holds():
    steps = jnp.array([0, 1, 10, 100, 10_000])
    np.testing.assert_allclose(gan_lib.ema_decay_at(steps, 0.999),
                               [0.1, 2 / 11, 11 / 20, 101 / 110, 0.999], rtol=1e-6)
    # a constant generator is tracked exactly; after 1000 steps the init weighs < 1e-3
    ema = 0.0
    for t in range(1000):
        d = float(gan_lib.ema_decay_at(t, 0.999))
        ema = d * ema + (1 - d) * 1.0
    assert ema > 1 - 1e-3


def test_generator_step_reuses_the_critic_fake_batch():
    """With n_critic=1 the G update is the gradient of the G loss on the very latents the D step
    used (PyTorch DCGAN schedule), through the updated D."""
    config = tiny_gan_config(optimizer='sgd', b1=0.0, ema_decay=0.0, g_learning_rate=0.1,
                          d_learning_rate=0.1)
    g, d = gan_lib.create_models(config, 28, 1, 10)
    state = gan_lib.create_state(config, g, d, (28, 28, 1), jax.random.key(3))
    real = jax.random.uniform(jax.random.key(0), (8, 28, 28, 1), minval=-1, maxval=1)
    rng = jax.random.key(4)
    new, _ = jax.jit(functools.partial(gan_lib.train_step,
                                       cfg=gan_lib.step_config(config, g.z_dim)))(
        state, {'image': real, 'label': jnp.zeros((8,), jnp.int32)}, rng)
    r_z, _, r_drop = jax.random.split(jax.random.fold_in(rng, 0), 3)
    z = jax.random.normal(r_z, (8, g.z_dim))  # the D step's latents

    def g_loss(params):
        fake, _ = gan_step._apply(state.g, params, z, None, r_drop)
        logits, _ = gan_step._apply(new.d, new.d.params, fake, None, jax.random.fold_in(rng, 99))
        return losses.generator_loss('ns', logits)

    grads = jax.grad(g_loss)(state.g.params)
    want = jax.tree.map(lambda p, gr: p - 0.1 * gr, state.g.params, grads)
    assert_trees_close(new.g.params, want)


@needs_fmnist
def test_warm_start_and_a_pruned_generator_with_a_sparse_ema(tmp_path):
    gan_lib.train_and_evaluate(tiny_gan_config(num_train_steps=3), str(tmp_path / 'base'))
    config = tiny_gan_config(init_from=str(tmp_path / 'base'), num_train_steps=4, ema_decay=0.9)
    config.g_pruning.update(sparsity=0.5, begin=0, end=2, every=1)
    g, d = gan_lib.create_models(config, 28, 1, 10)
    fresh = gan_lib.create_state(config, g, d, (28, 28, 1), jax.random.key(9))
    warm = gan_lib.warm_start(fresh, str(tmp_path / 'base'))
    _, _, base, _ = gan_lib.restore(str(tmp_path / 'base'))
    chex.assert_trees_all_equal(warm.g.params, base.g.params)
    chex.assert_trees_all_equal(warm.ema_params, base.ema_params)
    gan_lib.train_and_evaluate(config, str(tmp_path / 'tuned'))
    _, _, tuned, _ = gan_lib.restore(str(tmp_path / 'tuned'))
    report = pruning.sparsity_report(tuned.g.params)
    assert report['sparsity'] == pytest.approx(0.5, abs=0.01)
    masks = tuned.g.opt_state.masks
    for ema, m in zip(jax.tree.leaves(tuned.ema_params), jax.tree.leaves(masks)):
        assert np.all(np.asarray(ema)[~np.asarray(m)] == 0)
    other = tiny_gan_config(num_train_steps=3)
    other.generator.kwargs = {'base_features': 4}
    g2, d2 = gan_lib.create_models(other, 28, 1, 10)
    with pytest.raises(ValueError, match='holds a different generator'):
        gan_lib.warm_start(gan_lib.create_state(other, g2, d2, (28, 28, 1), jax.random.key(0)),
                           str(tmp_path / 'base'))


def test_a_missing_feature_extractor_is_refused_before_training(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"extractor_workdir='runs/extractor_cifar10' "
                                                r"holds no train.classifier run"):
        gan_lib.check_config(dcgan32_cifar10.get_config())
    gan_lib.check_config(dcgan64_celeba.get_config())  # '': trains without scores, by choice
    with pytest.raises(FileNotFoundError, match='no Inception weights at'):
        check_extractor(str(tmp_path / 'pt_inception.pth'))
    check_extractor(str(ROOT / 'assets' / 'extractor_fashion_mnist'))
