"""Compress the default Fashion-MNIST GhostNet, trained with a tenth of the train split held
out as validation (the same run as projects/recipe's `flips` arm):

  python -m train.classifier --config configs/ghostnet_fashion_mnist.py --workdir runs/cls_val \
      --config.subset.per_class=6000 --config.subset.val_fraction=0.1 \
      --config.eval_split=validation
  python -m train.compress --config configs/compress_ghostnet_fashion_mnist.py \
      --workdir runs/compress_ghostnet

Variants: int8 PTQ (weights and activations); int8 QAT (depthwise float) then PTQ; 80%
sparsity reached by a Zhu & Gupta ramp while fine-tuning, per-layer or global magnitude,
whichever scores higher on validation; 50% of every bottleneck's ghost1 primary maps removed,
then fine-tuned. Every setting below is fixed in advance; every variant is scored on
validation and on the test split. Result: results/compression/ghostnet_fashion_mnist.json,
rendered in docs/compression.md (run on runs/recipe/flips, 2-core CPU, about 80 minutes,
most of it scoring the int8 variants): dense 92.64% test; int8 PTQ 92.63%; global magnitude
(chosen on validation, 93.27% against 89.68% per-layer) at 80% sparsity 92.57%; channels -50%
(39.8% fewer MACs) fine-tuned 91.86%.
"""
import ml_collections


def get_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.kind = 'classifier'
    # a train.classifier workdir (latest checkpoint) whose config holds out validation
    c.checkpoint = 'runs/cls_val'
    c.test_split = 'test'
    c.data_parallel = True
    c.ptq = True
    # shared fine-tuning: SGD Nesterov 0.9, cosine from learning_rate, the checkpoint's
    # weight decay, augmentation and label smoothing
    c.finetune = ml_collections.ConfigDict(dict(batch_size=128, learning_rate=0.01, seed=1,
                                                epochs=1.0))
    c.qat = ml_collections.ConfigDict(dict(epochs=0.5, learning_rate=0.002))  # 0: skip
    c.sparse = ml_collections.ConfigDict(dict(
        sparsity=0.8, methods=('magnitude', 'global_magnitude'), epochs=2.0,
        ramp_fraction=0.5, update_every=50))  # sparsity 0: skip
    c.channels = ml_collections.ConfigDict(dict(fraction=0.5, epochs=2.0))  # 0: skip
    return c
