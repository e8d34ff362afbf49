"""The one table of module roles: what each named module of ghostjax's models is.

Weight decay masks, pruning filters, quantization rules, BatchNorm folding and the PyTorch
weight converter all read it; ``tests/nn/test_roles.py`` checks it against the modules every
model of the zoo actually creates (their classes and the BatchNorm each conv feeds), so a
renamed module fails a test instead of silently dropping out of BN folding.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any, Iterable

import flax

KINDS = ('conv', 'depthwise', 'dense', 'norm', 'embed', 'block')


@dataclasses.dataclass(frozen=True)
class Role:
    """``kind``: one of ``KINDS``; ``norm``: the BatchNorm that directly follows this conv in
    inference (a foldable conv+BN pair); ``torch``: the module's name in the reference PyTorch
    GhostNet (default: its own name; '' = no module of its own there)."""
    kind: str
    norm: str | None = None
    torch: str | None = None


def _norm(torch: str | None = None) -> Role:
    return Role('norm', torch=torch)


MODULES: dict[str, Role] = {
    # GhostNet (ghostjax.models.ghostnet) and its Ghost blocks (ghostjax.nn.ghost)
    'conv_stem': Role('conv', 'bn1'), 'bn1': _norm(),
    'primary_conv': Role('conv', 'primary_bn', 'primary_conv.0'),
    'primary_bn': _norm('primary_conv.1'),
    'cheap_conv': Role('depthwise', 'cheap_bn', 'cheap_operation.0'),
    'cheap_bn': _norm('cheap_operation.1'),
    'conv_dw': Role('depthwise', 'bn_dw'), 'bn_dw': _norm(),
    'shortcut_dw': Role('depthwise', 'shortcut_dw_bn', 'shortcut.0'),
    'shortcut_dw_bn': _norm('shortcut.1'),
    'shortcut_pw': Role('conv', 'shortcut_pw_bn', 'shortcut.2'),
    'shortcut_pw_bn': _norm('shortcut.3'),
    'conv_reduce': Role('conv'), 'conv_expand': Role('conv'),
    'dfc_conv': Role('conv', 'dfc_bn', 'short_conv.0'), 'dfc_bn': _norm('short_conv.1'),
    'dfc_h': Role('depthwise', 'dfc_h_bn', 'short_conv.2'), 'dfc_h_bn': _norm('short_conv.3'),
    'dfc_v': Role('depthwise', 'dfc_v_bn', 'short_conv.4'), 'dfc_v_bn': _norm('short_conv.5'),
    'blocks_9_conv': Role('conv', 'blocks_9_bn', 'blocks.9.0.conv'),
    'blocks_9_bn': _norm('blocks.9.0.bn1'),
    'conv_head': Role('conv'), 'classifier': Role('dense'),
    'ghost1': Role('block'), 'ghost2': Role('block'), 'se': Role('block'),
    'dfc': Role('block', torch=''),  # V2 keeps the DFC layers in the ghost module itself
    # GAN models (ghostjax.models.dcgan / ghostgan) and GAN blocks (ghostjax.nn.gan)
    'dense': Role('dense'), 'out': Role('dense'), 'project': Role('dense'),
    'project_bn': _norm(), 'to_image': Role('conv'), 'stem': Role('conv'),
    'label_embed': Role('embed'), 'label_proj': Role('embed'), 'head': Role('block'),
}
# Numbered modules: (pattern, role).
PATTERNS: tuple[tuple[str, Role], ...] = (
    (r'blocks_\d+_\d+', Role('block')), (r'block\d+', Role('block')),
    (r'convt\d+', Role('conv')), (r'conv\d+', Role('conv')), (r'bn\d+', _norm()),
    (r'dense\d+', Role('dense')),
)


def role(name: str) -> Role | None:
    """The role of module ``name``, or None for a module the table does not know."""
    if name in MODULES:
        return MODULES[name]
    for pattern, r in PATTERNS:
        if re.fullmatch(pattern, name):
            return r
    return None


def kind_of(path: Iterable[str], shape: tuple[int, ...]) -> str | None:
    """Kind of the module holding the parameter at ``path`` (``(..., module, leaf)``).

    Modules outside the table (a user's own) are judged by the leaf's shape: a ``[kh, kw, 1,
    C]`` kernel is depthwise, other 4-D kernels conv, 2-D ones dense."""
    *modules, leaf = tuple(path)
    r = role(modules[-1]) if modules else None
    if r is not None and r.kind != 'block':
        return r.kind
    if leaf != 'kernel':
        return None
    if len(shape) == 4:
        return 'depthwise' if shape[2] == 1 and shape[3] > 1 else 'conv'
    return 'dense' if len(shape) == 2 else None


def mask(params: Any, kinds: tuple[str, ...], leaf: str = 'kernel') -> Any:
    """Bool tree like ``params``: True for the ``leaf`` parameters of modules of ``kinds``."""
    flat = flax.traverse_util.flatten_dict(flax.core.unfreeze(params))
    return flax.traverse_util.unflatten_dict({
        k: k[-1] == leaf and kind_of(k, tuple(getattr(v, 'shape', ()))) in kinds
        for k, v in flat.items()})


def names(kind: str) -> list[str]:
    """The table's module names of one kind."""
    return sorted(n for n, r in MODULES.items() if r.kind == kind)


def conv_norm_pairs() -> dict[str, str]:
    """conv module name -> the BatchNorm right after it (BN folding)."""
    return {n: r.norm for n, r in MODULES.items() if r.norm}


def torch_name(name: str) -> str:
    """The reference PyTorch GhostNet's name of module ``name`` ('' when it has none)."""
    r = MODULES.get(name)
    if r is None or r.torch is None:
        return name
    return r.torch
