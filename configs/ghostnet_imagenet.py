"""GhostNet 1.0x on ImageNet with the paper's recipe: 224x224, SGD momentum 0.9, batch 1024,
cosine schedule with 5 warmup epochs, weight decay 4e-5, label smoothing 0.1, dropout 0.2.

  python -m train.classifier --config configs/ghostnet_imagenet.py --workdir runs/ghostnet_imagenet

Needs ImageNet prepared by TFDS (manual download) in the data dir; images are resized to 224.
Not run yet (it needs accelerators): the paper reports 73.9% top-1, and the released PyTorch
weights load with ghostjax.models.convert.load_torch_checkpoint.
"""
import ml_collections

from configs import ghostnet_fashion_mnist


def get_config():
    c = ghostnet_fashion_mnist.get_config()
    c.dataset = 'imagenet2012'
    c.eval_split = 'validation'
    c.input = ml_collections.ConfigDict(dict(image_size=224, resize='bilinear'))
    c.model.stem_stride = 2
    c.model.dtype = 'bfloat16'
    c.learning_rate = 0.4  # 0.1 per 256 images
    c.nesterov = False
    c.weight_decay = 4e-5
    c.warmup_epochs = 5.0
    c.num_epochs = 300
    c.batch_size = 1024
    c.eval_batch_size = 1000
    c.checkpoint_every_steps = 2000
    c.eval_every_epochs = 5
    return c
