"""Model compression: BN folding, int8 PTQ / QAT with qwix, Ghost channel pruning, size
accounting and the train.compress pipeline."""
import json

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import compress_ghostgan_fashion_mnist, compress_ghostnet_fashion_mnist
from ghostjax.compression import quantization
from ghostjax.compression.channel_pruning import block_names, prune_ghost_channels
from ghostjax.ops.counting import count_params, model_size
from ghostjax.nn.ghost import GhostModule
from ghostjax.models.ghostnet import GhostNet
from ghostjax.training.classifier import train_and_evaluate
from train.tables import compress_table
from tests.helpers import needs_fmnist, tiny_config, tiny_gan_config

STAGES = (((3, 16, 16, 0.0, 1),), ((3, 48, 24, 0.25, 2),), ((3, 72, 24, 0.0, 1),))


def _model(**kw):
    return GhostNet(width=1.0, num_classes=10, in_channels=1, stem_stride=1, stages=STAGES,
                    dropout=0.0, **kw)


@pytest.fixture(scope='module')
def net():
    """A tiny GhostNet with non-trivial BN statistics, and an input batch."""
    model = _model()
    x = jax.random.normal(jax.random.key(1), (4, 28, 28, 1))
    v = model.init(jax.random.key(0), x)
    keys = iter(jax.random.split(jax.random.key(2), 1000))
    stats = jax.tree.map(lambda s: jax.random.uniform(next(keys), s.shape, minval=0.5,
                                                      maxval=1.5), v['batch_stats'])
    params = jax.tree.map(lambda p: p + 0.1 * jax.random.normal(next(keys), p.shape),
                          v['params'])
    return model, {'params': params, 'batch_stats': stats}, x


def test_folded_batch_norm_gives_the_same_outputs(net):
    model, v, x = net
    folded = quantization.fold_batch_norm(v)
    np.testing.assert_allclose(model.apply(folded, x), model.apply(v, x), rtol=1e-4, atol=1e-4)
    bn = folded['params']['blocks_1_0']['ghost1']['primary_bn']
    chex.assert_trees_all_equal(bn['scale'], jnp.ones_like(bn['scale']))
    with pytest.raises(ValueError, match='no conv followed by a BatchNorm'):
        quantization.fold_batch_norm({'params': {'dense': {'kernel': jnp.ones((2, 2))}},
                                      'batch_stats': {}})


def test_ptq_stores_int8_weights_for_every_conv_and_stays_close(net):
    model, v, x = net
    qmodel, qv = quantization.ptq(model, quantization.fold_batch_norm(v), x)
    leaves = jax.tree_util.tree_flatten_with_path(qv['params'])[0]
    int8 = {jax.tree_util.keystr(p) for p, leaf in leaves if leaf.dtype == jnp.int8}
    # 1x1 (primary), depthwise (cheap, stride-2 and shortcut), stem, head and classifier
    for name in ("['blocks_1_0']['ghost1']['primary_conv']", "['blocks_1_0']['ghost1']['cheap_conv']",
                 "['blocks_1_0']['conv_dw']", "['blocks_1_0']['shortcut_dw']", "['conv_stem']",
                 "['conv_head']", "['classifier']", "['blocks_1_0']['se']['conv_reduce']"):
        assert any(k.startswith(name) for k in int8), name
    y, yq = model.apply(v, x, output='pre_logits'), qmodel.apply(qv, x, output='pre_logits')
    chex.assert_shape(yq, y.shape)
    rel = float(jnp.linalg.norm(yq - y) / jnp.linalg.norm(y))
    assert 0 < rel < 0.05, rel
    sizes = quantization.size_report(quantization.fold_batch_norm(v)['params'], qv['params'])
    assert sizes['int8_bytes'] < 0.4 * sizes['float32_bytes']


def test_qat_fake_quantizes_all_but_depthwise_and_trains(net):
    model, v, x = net
    grouped = model.clone(impl='reference')
    qat = quantization.qat(grouped)

    def loss(params, m):
        out, _ = m.apply({**v, 'params': params}, x, train=True, mutable=['batch_stats'])
        return jnp.mean(out ** 2)

    g = jax.jit(jax.grad(loss), static_argnums=1)(v['params'], qat)
    for leaf in jax.tree.leaves(g):
        assert np.all(np.isfinite(leaf))
    assert float(jnp.abs(g['blocks_1_0']['ghost1']['cheap_conv']['kernel']).sum()) > 0
    # fake quantization is active (outputs move) but small
    y, yq = model.apply(v, x), qat.apply(v, x)
    assert 0 < float(jnp.abs(yq - y).max()) < 0.1 * float(jnp.abs(y).max())
    with pytest.raises(ValueError, match='qtype must be one of'):
        quantization.qat(model, 'int3')


def _silence(v, model, block, drop):
    """Variables where ghost1 primary maps ``drop`` of ``block`` (and their cheap maps and
    stride-2 depthwise channels) output exactly zero."""
    v = jax.tree.map(lambda a: a, v)
    p = v['params'][block]
    init = p['ghost1']['primary_bn']['scale'].shape[0]
    for sub in ('primary_bn', 'cheap_bn'):
        for k in ('scale', 'bias'):
            p['ghost1'][sub][k] = p['ghost1'][sub][k].at[drop].set(0.0)
    if 'bn_dw' in p:
        mid = np.concatenate([drop, init + drop])
        for k in ('scale', 'bias'):
            p['bn_dw'][k] = p['bn_dw'][k].at[mid].set(0.0)
    return v


def test_channel_pruning_removes_exactly_the_silent_maps(net):
    model, v, x = net
    drops = {}
    for name in block_names(model):
        init = v['params'][name]['ghost1']['primary_bn']['scale'].shape[0]
        drops[name] = np.arange(0, init, 2)  # half of the maps, every other one
        v = _silence(v, model, name, drops[name])
    small, sliced = prune_ghost_channels(model, v, 0.5)
    assert small.ghost1_primary == (4, 12, 18)
    np.testing.assert_allclose(small.apply(sliced, x), model.apply(v, x), rtol=1e-5, atol=1e-5)
    before = model_size(model, (1, 28, 28, 1))
    after = model_size(small, (1, 28, 28, 1))
    assert after['params'] == count_params(sliced) < before['params']
    assert after['macs'] < 0.8 * before['macs']
    same, same_v = prune_ghost_channels(model, v, 0.0)
    np.testing.assert_allclose(same.apply(same_v, x), model.apply(v, x), rtol=1e-6)


def test_channel_pruning_bad_input(net):
    model, v, x = net
    with pytest.raises(ValueError, match=r'channel fraction must be in \[0, 1\), got 1.0'):
        prune_ghost_channels(model, v, 1.0)
    with pytest.raises(ValueError, match='one width per bottleneck'):
        _model(ghost1_primary=(2,)).init(jax.random.key(0), x)
    with pytest.raises(ValueError, match=r'primary_features must be in \[1, 4\]'):
        GhostModule(8, primary_features=5).init(jax.random.key(0), jnp.zeros((1, 4, 4, 3)))
    with pytest.raises(ValueError, match='cannot have a DFC gate'):
        GhostModule(8, primary_features=2, dfc=True).init(jax.random.key(0),
                                                          jnp.zeros((1, 4, 4, 3)))
    with pytest.raises(ValueError, match='supports GhostNet version 1, got 2'):
        prune_ghost_channels(model.clone(version=2), v, 0.5)


def test_size_report_counts_sparse_values_and_indices():
    w = np.zeros((10, 10), np.float32)
    w[0, :3] = 1.0
    params = {'dense': {'kernel': w, 'bias': np.zeros(10, np.float32)}}
    r = quantization.size_report(params)
    assert r['float32_bytes'] == 4 * 110
    # CSR: 3 values + 3 uint16 column indices + 11 int32 row offsets; the bias dense
    assert r['sparse_bytes'] == 3 * (4 + 2) + 4 * 11 + 4 * 10


@pytest.fixture(scope='module')
def tiny_classifier(tmp_path_factory):
    """A train.classifier workdir of a tiny GhostNet (4 steps) trained on 240 train images
    with 60 held out as validation, where it is scored."""
    workdir = str(tmp_path_factory.mktemp('cls'))
    c = tiny_config(num_train_steps=4, eval_split='validation')
    c.subset.per_class, c.subset.val_fraction = 30, 0.2
    train_and_evaluate(c, workdir)
    return workdir


def _compress_config(checkpoint):
    c = compress_ghostnet_fashion_mnist.get_config()
    c.checkpoint, c.test_split = checkpoint, 'test[:60]'  # the validation size: one shape
    c.data_parallel = False
    c.finetune.batch_size = 16
    c.qat.epochs = c.sparse.epochs = c.channels.epochs = 8 / 15  # 8 steps of 240 images each
    c.sparse.update_every = 2
    return c


@needs_fmnist
def test_compress_classifier_end_to_end(tiny_classifier, tmp_path):
    from ghostjax.compression.pipelines import compress_classifier
    c = _compress_config(tiny_classifier)
    out = compress_classifier(c, str(tmp_path / 'out'))
    rows = {r['variant']: r for r in out['rows']}
    assert list(rows) == [
        'dense', 'dense + int8 PTQ', 'int8 QAT (depthwise float) + int8 PTQ',
        'magnitude 80% sparse, fine-tuned', 'global_magnitude 80% sparse, fine-tuned',
        f"{out['choices']['sparse_method']['chosen']} 80% sparse + int8 PTQ",
        'ghost1 channels -50%, no fine-tuning', 'ghost1 channels -50%, fine-tuned',
        'channels -50% + int8 PTQ']
    assert (out['train_examples'], out['validation_examples'], out['test_examples']) == (
        240, 60, 60)
    # the dense row's validation score is the checkpoint's own final evaluation
    own = json.load(open(f'{tiny_classifier}/eval.json'))
    assert rows['dense']['validation_accuracy'] == round(own['accuracy'], 4)
    # the pruning method is the one with the higher validation accuracy, and only it is marked
    sparse = {m: rows[f'{m} 80% sparse, fine-tuned'] for m in ('magnitude', 'global_magnitude')}
    chosen = out['choices']['sparse_method']['chosen']
    assert sparse[chosen]['validation_accuracy'] == max(
        r['validation_accuracy'] for r in sparse.values())
    assert [m for m, r in sparse.items() if r.get('chosen_on_validation')] == [chosen]
    for r in sparse.values():
        assert r['sparsity'] == pytest.approx(0.8, abs=1e-3)
    assert rows[f'{chosen} 80% sparse + int8 PTQ']['int8_bytes'] < sparse[chosen][
        'float32_bytes'] / 3
    assert sparse[chosen]['sparse_bytes'] < 0.4 * sparse[chosen]['float32_bytes']
    tuned = rows['ghost1 channels -50%, fine-tuned']
    assert tuned['macs'] < rows['dense']['macs'] and tuned['params'] < rows['dense']['params']
    for r in rows.values():  # test accuracy is a whole number of the 60 images
        assert r['accuracy'] * 60 == pytest.approx(round(r['accuracy'] * 60), abs=0.01)
    on_disk = json.load(open(tmp_path / 'out' / 'compress.json'))
    assert on_disk['rows'][0]['accuracy'] == rows['dense']['accuracy']
    table = compress_table(on_disk['rows'], on_disk['metric'])
    assert table.count('\n') == 2 + len(rows) and table.count('(chosen)') == 1
    # the fine-tuned channel-pruned variant is saved and rebuilds from its row
    import orbax.checkpoint as ocp
    from ghostjax.training.classifier import create_model
    model = create_model(c_base(tiny_classifier), 10, 1).clone(
        ghost1_primary=tuple(tuned['ghost1_primary']))
    with ocp.StandardCheckpointer() as ckpt:
        variables = ckpt.restore(tuned['saved'])
    x = jnp.zeros((2, 28, 28, 1))
    chex.assert_shape(model.apply(variables, x), (2, 10))


@needs_fmnist
def test_compress_classifier_refuses_a_checkpoint_without_validation(tiny_classifier,
                                                                     tmp_path):
    import shutil
    from ghostjax.compression.pipelines import compress_classifier
    workdir = shutil.copytree(tiny_classifier, tmp_path / 'cls')
    config = json.load(open(workdir / 'config.json'))
    config['subset']['per_class'] = 0
    json.dump(config, open(workdir / 'config.json', 'w'))
    with pytest.raises(ValueError, match='trained on the whole train split'):
        compress_classifier(_compress_config(str(workdir)), str(tmp_path / 'out'))


def c_base(workdir):
    import ml_collections
    return ml_collections.ConfigDict(json.load(open(f'{workdir}/config.json')))


@needs_fmnist
def test_compress_generator_end_to_end(tiny_classifier, tmp_path):
    from ghostjax.compression.pipelines import compress_generator
    from ghostjax.training import gan as gan_lib
    # class-conditional, as make run's GAN: labels reach MACs counting, PTQ and sampling
    gan_lib.train_and_evaluate(tiny_gan_config(num_train_steps=2, conditional=True),
                               str(tmp_path / 'gan'))
    c = compress_ghostgan_fashion_mnist.get_config()
    c.checkpoint, c.extractor = str(tmp_path / 'gan'), tiny_classifier
    c.num_samples, c.finetune_steps = 500, 2
    out = compress_generator(c, str(tmp_path / 'out'))
    rows = {r['variant']: r for r in out['rows']}
    assert list(rows) == ['dense', 'magnitude 50% sparse, one-shot',
                          'dense, fine-tuned (control)', 'magnitude 50% sparse, fine-tuned',
                          'int8 PTQ']
    assert rows['magnitude 50% sparse, one-shot']['sparsity'] == pytest.approx(0.5, abs=1e-3)
    assert rows['magnitude 50% sparse, fine-tuned']['sparsity'] == pytest.approx(0.5, abs=1e-3)
    assert rows['dense, fine-tuned (control)']['sparsity'] < 0.01
    assert rows['int8 PTQ']['int8_bytes'] < 0.4 * rows['dense']['float32_bytes']
    for r in rows.values():
        assert np.isfinite(r['fid']) and r['fid'] >= 0
