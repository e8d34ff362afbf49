"""GhostNet 1.0x multi-task model on Fashion-MNIST scenes (128x128): scene classification
(which classes are present), FCOS detection and semantic segmentation on one backbone and one
Ghost FPN, the loss a weighted sum.

  python -m train.dense_prediction --config projects/scenes/configs/multitask.py \
      --workdir runs/scenes_multitask

`detect.py` and `segment.py` are the single-task models of the same recipe. Measured:
results/scenes_multitask.json, seeds 1-2 in results/scenes_multitask_s{1,2}.json
(`--config.seed=N`); the table in projects/scenes/README.md.
"""
import ml_collections


def get_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.dataset = 'fashion_mnist_scenes'  # or a prepared TFDS detection dataset: 'coco/2017'
    c.dataset_kwargs = {}  # scenes builder: {'sizes': {'train': n, ...}}
    c.train_split = 'train'
    c.eval_split = 'validation'  # periodic and final evaluation
    c.test_split = 'test'  # also scored once at the end: the reported numbers ('' for none)
    c.data_dir = ''
    c.image_size = 128  # images are letterboxed to this size when read
    c.input = ml_collections.ConfigDict({'flip': True, 'channels': None,
                                         'mean': (0.5,), 'std': (0.5,)})
    c.model = ml_collections.ConfigDict(dict(
        tasks=('classify', 'detect', 'segment'), width=1.0, strides=(8, 16, 32),
        seg_strides=(4, 8, 16, 32), fpn_features=64, head_depth=2,
        stages=()))  # stages=(): the paper's GhostNet table
    c.loss_weights = {'classify': 1.0, 'detect': 1.0, 'segment': 1.0}
    # a local PyTorch GhostNet checkpoint (ImageNet weights, models.convert) for the backbone;
    # it takes 3 channels: set input.channels=3 (grey repeated) and in_channels follows
    c.backbone_init = ''
    c.freeze_backbone = False
    c.optimizer = 'adamw'
    c.learning_rate = 2e-3
    c.weight_decay = 1e-4
    c.schedule = 'cosine'
    c.warmup_steps = 200
    c.batch_size = 32
    c.eval_batch_size = 50
    c.num_train_steps = 2000  # the fixed budget: under 30 min on a 2-core CPU
    c.data_parallel = True
    c.seed = 0
    c.log_every_steps = 50
    c.checkpoint_every_steps = 500
    c.checkpoints_to_keep = 2
    c.eval_every_steps = 0  # 0: only the final evaluation
    return c
