"""Dense-prediction training: the multi-task step, its 4-device equivalence, the trainer with
its checkpoints and COCO/mIoU evaluation, and bad configs."""
import functools
import json
import os

import chex
import jax
import numpy as np
import optax
import pytest

from projects.scenes.configs import multitask as scenes_multitask
from ghostjax.data import scenes
from ghostjax.training import dense_prediction
from ghostjax.training.parallel import batch_sharding, compile_step, data_mesh, host_copy, replicate
from tests.helpers import assert_trees_close, needs_fmnist

STAGES = (((3, 16, 16, 0.0, 1),), ((3, 24, 16, 0.0, 2),), ((3, 32, 24, 0.0, 2),),
          ((5, 48, 32, 0.25, 2),), ((5, 64, 40, 0.0, 2),))
SIZES = {'train': 32, 'validation': 16, 'test': 16}


def tiny_config(**overrides):
    c = scenes_multitask.get_config()
    c.model.update(width=1.0, stages=STAGES, fpn_features=16, head_depth=1)
    c.image_size = 64
    c.dataset_kwargs = {'sizes': SIZES}
    c.batch_size = 8
    c.eval_batch_size = 16
    c.num_train_steps = 4
    c.warmup_steps = 1
    c.log_every_steps = 2
    c.checkpoint_every_steps = 2
    c.data_parallel = False
    for k, v in overrides.items():
        c[k] = v
    return c


def _batch(n=8, seed=0):
    items = np.zeros((20, 28, 28), np.uint8)
    items[:, 4:24, 6:22] = 200
    rng = np.random.default_rng(seed)
    spec = scenes.SceneSpec(size=64, max_items=3, min_scale=0.8, max_scale=1.2)
    made = [scenes.make_scene(rng, items, np.arange(20) % 10, spec) for _ in range(n)]
    m = max(len(s['boxes']) for s in made)
    batch = {'image': np.stack([s['image'] for s in made]).astype(np.float32) / 255,
             'mask': np.stack([s['mask'] for s in made]).astype(np.int32),
             'boxes': np.zeros((n, m, 4), np.float32), 'box_labels': np.zeros((n, m), np.int32),
             'box_valid': np.zeros((n, m), bool)}
    for i, s in enumerate(made):
        k = len(s['boxes'])
        batch['boxes'][i, :k], batch['box_labels'][i, :k], batch['box_valid'][i, :k] = (
            s['boxes'], s['labels'], True)
    return batch


@pytest.fixture(scope='module')
def setup():
    config = tiny_config()
    model = dense_prediction.create_model(config, 10, 1, 'batch')
    cfg = dense_prediction.step_config(config, model, 10, (64, 64))
    state = dense_prediction.create_state(config, model, (64, 64, 1), optax.sgd(0.01, momentum=0.9),
                               jax.random.key(0))
    return config, model, cfg, state


def _run(cfg, state, batch, mesh, steps=2):
    p_step = compile_step(functools.partial(dense_prediction.train_step, cfg=cfg), mesh, donate=False)
    state = replicate(state, mesh)
    batch = jax.device_put(batch, batch_sharding(mesh))
    for _ in range(steps):
        state, metrics = p_step(state, batch, replicate(jax.random.key(1), mesh))
    return host_copy(state), host_copy(metrics)


def test_multitask_step_on_4_devices_equals_1_device(setup):
    _, _, cfg, state = setup
    batch = _batch()
    (s1, m1), (s4, m4) = (_run(cfg, state, batch, mesh)
                          for mesh in (data_mesh(all_devices=False), data_mesh()))
    for part in ('params', 'batch_stats', 'opt_state'):
        assert_trees_close(getattr(s1, part), getattr(s4, part), rtol=1e-4)
    for k in ('total', 'classify', 'detect', 'segment', 'focal', 'giou', 'centerness'):
        assert np.isfinite(m1[k]), k
        np.testing.assert_allclose(m1[k], m4[k], rtol=1e-4)
    # the total is the weighted sum of the task losses
    np.testing.assert_allclose(m1['total'], m1['classify'] + m1['detect'] + m1['segment'],
                               rtol=1e-5)


def test_losses_without_objects_stay_finite(setup):
    _, model, cfg, state = setup
    batch = _batch(4)
    batch['box_valid'][:] = False
    out = model.apply({'params': state.params, 'batch_stats': state.batch_stats},
                      batch['image'])
    losses = dense_prediction.task_losses(out, batch, cfg)
    assert all(np.isfinite(v) for v in jax.tree.leaves(losses))
    assert float(losses['giou']) == 0.0 and float(losses['centerness']) == 0.0


@pytest.mark.parametrize('overrides, match', [
    ({'loss_weights': {'detect': 1.0, 'depth': 1.0}}, r"unknown tasks \['depth'\]"),
    ({'loss_weights': {'detect': 1.0}}, r"no weight for the tasks \['classify', 'segment'\]"),
    ({'loss_weights': {'classify': 1.0, 'detect': 0.0, 'segment': 1.0}},
     'loss_weights.detect must be > 0'),
])
def test_bad_config_fails_before_building(overrides, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        dense_prediction.train_and_evaluate(tiny_config(**overrides), str(tmp_path))
    assert not os.listdir(tmp_path)


@needs_fmnist
def test_trainer_trains_and_scores(tmp_path):
    data_dir = str(tmp_path / 'tfds')
    config = tiny_config(data_dir=data_dir)
    result = dense_prediction.train_and_evaluate(config, str(tmp_path / 'run'))
    assert result['step'] == 4 and result['reported_split'] == 'test'
    for split in ('validation', 'test'):
        scores = result[split]
        assert scores['examples'] == 16
        assert {'map', 'map50', 'miou', 'miou_objects', 'pixel_accuracy'} <= set(scores)
        hits = scores['classify_label_accuracy'] * 16 * 10  # (scene, class) pairs right
        assert hits == pytest.approx(round(hits), abs=1e-6), (split, hits)
    assert result['model']['params'] > 0 and result['model']['macs'] > 0
    assert json.load(open(tmp_path / 'run' / 'eval.json'))['step'] == 4
    # the figure's inputs: the first test images, their truth and the predictions
    pred = np.load(tmp_path / 'run' / 'predictions.npz')
    chex.assert_shape(pred['true_image'], (8, 64, 64, 1))
    chex.assert_shape(pred['mask'], (8, 64, 64))
    chex.assert_equal_shape_prefix([pred['boxes'], pred['scores'], pred['valid']], 2)
    # the loop skeleton checkpointed it (resume itself is tested once, in tests/training)
    assert sorted(os.listdir(tmp_path / 'run' / 'checkpoints')) == ['2', '4']


def test_backbone_loads_released_weights_and_leaves_the_heads(tmp_path):
    """``backbone_init``: a PyTorch GhostNet checkpoint (the released layout) replaces exactly
    the backbone's params and BN statistics; the FPN and heads keep their initialisation."""
    torch = pytest.importorskip('torch')
    from tests.torch_ghostnet import TorchGhostNet
    torch.manual_seed(0)
    tm = TorchGhostNet(0.5, 1000, 1)
    with torch.no_grad():
        for m in tm.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.2)
    path = str(tmp_path / 'ghostnet_0.5x.pth')
    torch.save({'state_dict': tm.state_dict()}, path)
    config = tiny_config(model={'width': 0.5, 'stages': (), 'strides': (8, 16, 32),
                                'seg_strides': (4, 8, 16, 32), 'tasks': ('detect',),
                                'fpn_features': 16, 'head_depth': 1})
    model = dense_prediction.create_model(config, 10, 3)
    shapes = jax.eval_shape(model.init, jax.random.key(0), jax.ShapeDtypeStruct((1, 64, 64, 3),
                                                                                 np.float32))
    zeros = jax.tree.map(lambda s: np.zeros(s.shape, s.dtype), shapes)
    params, stats = dense_prediction.load_backbone(path, model, zeros['params'], zeros['batch_stats'])
    sd = tm.state_dict()
    stem = np.asarray(params['backbone']['conv_stem']['kernel'])
    np.testing.assert_array_equal(stem, sd['conv_stem.weight'].numpy().transpose(2, 3, 1, 0))
    np.testing.assert_array_equal(np.asarray(stats['backbone']['bn1']['mean']),
                                  sd['bn1.running_mean'].numpy())
    assert all(np.any(np.asarray(x) != 0) for x in jax.tree.leaves(stats['backbone']))
    for name in set(params) - {'backbone'}:  # FPN and heads: untouched
        assert all(not np.any(np.asarray(x)) for x in jax.tree.leaves(params[name])), name
