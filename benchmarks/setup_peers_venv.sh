#!/usr/bin/env bash
# The PyTorch peers of benchmarks/vs_torch.py in their own venv: CPU PyTorch 2.13 and timm
# (for its ghostnet_100).
#   bash benchmarks/setup_peers_venv.sh [VENV_DIR]      (default /tmp/peers-venv)
# then: python -m benchmarks.vs_torch --peers_python VENV_DIR/bin/python
set -euo pipefail
venv=${1:-/tmp/peers-venv}
python3 -m venv "$venv"
pip="$venv/bin/pip"
"$pip" install -q --upgrade pip
"$pip" install -q torch==2.13.0 numpy pillow pyyaml huggingface_hub safetensors
# timm's own dependency list pulls a torchvision that must match torch exactly; timm needs it
# only for a few transforms, so install both without dependencies. On machines where the only
# torchvision for torch 2.13 is a CUDA build, its two fake-op registrations need its compiled
# ops: register them only when those ops are there.
"$pip" install -q --no-deps timm torchvision==0.28.0
meta=$("$venv/bin/python" -c 'import site; print(site.getsitepackages()[0])')/torchvision/_meta_registrations.py
if [ -f "$meta" ]; then
  sed -i 's|^@torch.library.register_fake("torchvision::\(q\?nms\)")|@(torch.library.register_fake("torchvision::\1") if torchvision.extension._has_ops() else (lambda f: f))|' "$meta"
fi
"$venv/bin/python" -c "import torch, timm; print('peers ready: torch', torch.__version__, 'timm', timm.__version__)"
