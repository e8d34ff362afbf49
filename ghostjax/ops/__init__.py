"""Pure JAX kernels, each in a reference and a fast form behind one policy (``policy``)."""
from ghostjax.ops.batch_norm import batch_norm_eval, batch_norm_train
from ghostjax.ops.conv import (conv2d, conv_transpose, conv_transpose_kernel_grad,
                               conv_transpose_phases, matmul_kernel, pointwise_conv,
                               transpose_padding)
from ghostjax.ops.counting import count_macs, count_params, model_size, register_macs
from ghostjax.ops.depthwise import (depthwise_conv, depthwise_conv_grouped, depthwise_conv_shifted,
                                    filter_operator_norm)
from ghostjax.ops.policy import IMPLS, force_impl
