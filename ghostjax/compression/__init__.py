"""Model compression: channel pruning of Ghost bottlenecks, int8 quantization with qwix,
BatchNorm folding, and the pipelines behind ``train.compress`` (unstructured pruning itself is
an optimizer transformation: ``ghostjax.optim.pruning``)."""
