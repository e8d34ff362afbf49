"""The PyTorch peers of ``jax_workloads.py`` (run in the peers venv: torch + timm, no JAX).

Definitions follow the peers' own code: timm's ``ghostnet_100``; the PyTorch DCGAN
example at 64x64 and the TF-tutorial DCGAN at 28x28, one iteration = D step on real and on
``fake.detach()``, then the G step through the same fake batch, Adam 2e-4 (0.5, 0.999).

The project's own GAN models have no published PyTorch code, so their peers are written here
layer for layer from ``ghostjax.models.ghostgan`` (``GhostGenerator``, ``GhostDiscriminator``
with spectral norm) and ``ghostjax.training.gan`` (DiffAugment, hinge loss, the generator's
EMA); tests/test_torch_peers.py checks that their parameters and MACs equal ours.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def _ghostnet(train: bool):
    import timm
    model = timm.create_model('ghostnet_100', pretrained=False).train(train)
    x = torch.randn(32, 3, 224, 224)
    if not train:
        def infer():
            with torch.inference_mode():
                model(x)
        return infer
    y = torch.randint(0, 1000, (32,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        loss.item()
    return step


class G64(nn.Module):
    def __init__(self, nz=100, ngf=64, nc=3):
        super().__init__()
        layers, c_in = [], nz
        for i, c in enumerate((ngf * 8, ngf * 4, ngf * 2, ngf)):
            layers += [nn.ConvTranspose2d(c_in, c, 4, 1 if i == 0 else 2, 0 if i == 0 else 1,
                                          bias=False), nn.BatchNorm2d(c), nn.ReLU(True)]
            c_in = c
        self.main = nn.Sequential(*layers, nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
                                  nn.Tanh())

    def forward(self, z):
        return self.main(z.view(z.shape[0], -1, 1, 1))


class D64(nn.Module):
    def __init__(self, ndf=64, nc=3):
        super().__init__()
        layers = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        for c in (ndf, ndf * 2, ndf * 4):
            layers += [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c),
                       nn.LeakyReLU(0.2, True)]
        self.main = nn.Sequential(*layers, nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False))

    def forward(self, x):
        return self.main(x).view(-1)  # logits (BCE with logits below)


class G28(nn.Module):
    def __init__(self, nz=100, slope=0.3, ngf=64):
        super().__init__()
        self.fc = nn.Linear(nz, 7 * 7 * 256, bias=False)
        self.bn0 = nn.BatchNorm1d(7 * 7 * 256)
        self.net = nn.Sequential(
            nn.LeakyReLU(slope),
            nn.ConvTranspose2d(256, 128, 5, 1, 2, bias=False), nn.BatchNorm2d(128),
            nn.LeakyReLU(slope),
            nn.ConvTranspose2d(128, 64, 5, 2, 2, output_padding=1, bias=False),
            nn.BatchNorm2d(64), nn.LeakyReLU(slope),
            nn.ConvTranspose2d(64, 1, 5, 2, 2, output_padding=1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.net(self.bn0(self.fc(z)).view(-1, 256, 7, 7))


class D28(nn.Module):
    def __init__(self, slope=0.3):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 64, 5, 2, 2), nn.LeakyReLU(slope), nn.Dropout(0.3),
            nn.Conv2d(64, 128, 5, 2, 2), nn.LeakyReLU(slope), nn.Dropout(0.3),
            nn.Flatten(), nn.Linear(7 * 7 * 128, 1))

    def forward(self, x):
        return self.net(x).view(-1)


# --------------------------------------------------------------------------- Ghost GAN peers


def _sn(module: nn.Module, enabled: bool) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(module) if enabled else module


def _conv(c_in: int, c_out: int, k: int = 1, stride: int = 1, groups: int = 1,
          bias: bool = False, sn: bool = False) -> nn.Module:
    """A conv with ghostjax's symmetric ``k // 2`` padding (``ghostjax.nn.layers``)."""
    return _sn(nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=bias), sn)


def _norm(c: int, sn: bool) -> nn.Module:
    """BatchNorm, or the identity under spectral norm (``Layers.norm``)."""
    return nn.Identity() if sn else nn.BatchNorm2d(c)


def make_divisible(v: float, divisor: int = 4) -> int:
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class GhostModule(nn.Module):
    """``ghostjax.nn.ghost.GhostModule`` (ratio 2, 1x1 primary, depthwise 3x3 cheap op)."""

    def __init__(self, c_in: int, features: int, relu: bool = True, sn: bool = False):
        super().__init__()
        init = math.ceil(features / 2)
        self.features, self.act = features, nn.ReLU() if relu else nn.Identity()
        self.primary_conv, self.primary_bn = _conv(c_in, init, sn=sn), _norm(init, sn)
        self.cheap_conv = _conv(init, init, 3, groups=init, sn=sn)
        self.cheap_bn = _norm(init, sn)

    def forward(self, x):
        primary = self.act(self.primary_bn(self.primary_conv(x)))
        cheap = self.act(self.cheap_bn(self.cheap_conv(primary)))
        return torch.cat([primary, cheap], 1)[:, :self.features]


class SqueezeExcite(nn.Module):
    def __init__(self, c: int, reduced: int, sn: bool = False):
        super().__init__()
        self.conv_reduce = _conv(c, reduced, bias=True, sn=sn)
        self.conv_expand = _conv(reduced, c, bias=True, sn=sn)

    def forward(self, x):
        s = self.conv_expand(F.relu(self.conv_reduce(x.mean((2, 3), keepdim=True))))
        return x * F.hardsigmoid(s)


class GhostBottleneck(nn.Module):
    """``ghostjax.nn.ghost.GhostBottleneck``."""

    def __init__(self, c_in: int, mid: int, out: int, k: int = 3, stride: int = 1,
                 se_ratio: float = 0.0, sn: bool = False):
        super().__init__()
        self.ghost1 = GhostModule(c_in, mid, True, sn)
        self.dw = (nn.Sequential(_conv(mid, mid, k, stride, mid, sn=sn), _norm(mid, sn))
                   if stride > 1 else nn.Identity())
        self.se = (SqueezeExcite(mid, make_divisible(mid * se_ratio), sn) if se_ratio > 0
                   else nn.Identity())
        self.ghost2 = GhostModule(mid, out, False, sn)
        self.shortcut = nn.Identity() if c_in == out and stride == 1 else nn.Sequential(
            _conv(c_in, c_in, k, stride, c_in, sn=sn), _norm(c_in, sn),
            _conv(c_in, out, sn=sn), _norm(out, sn))

    def forward(self, x):
        return self.ghost2(self.se(self.dw(self.ghost1(x)))) + self.shortcut(x)


class GhostUpBlock(nn.Module):
    def __init__(self, c_in: int, features: int, upsample: bool):
        super().__init__()
        self.upsample = upsample
        self.ghost1 = GhostModule(c_in, features)
        self.conv_dw = _conv(features, features, 3, groups=features)
        self.bn_dw = nn.BatchNorm2d(features)
        self.ghost2 = GhostModule(features, features)

    def forward(self, x):
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode='nearest')
        return self.ghost2(self.bn_dw(self.conv_dw(self.ghost1(x))))


class GhostGenerator(nn.Module):
    """``ghostjax.models.ghostgan.GhostGenerator`` at 28x28x1, unconditional."""

    def __init__(self, z_dim: int = 100, base: int = 32, channels: int = 1):
        super().__init__()
        self.widths = [base * 4, base * 2, base]  # s0 = 7; blocks at 7, 14, 28
        self.project = nn.Linear(z_dim, 7 * 7 * self.widths[0], bias=False)
        self.project_bn = nn.BatchNorm2d(self.widths[0])
        blocks, c_in = [], self.widths[0]
        for i, w in enumerate(self.widths):
            blocks.append(GhostUpBlock(c_in, w, upsample=i > 0))
            c_in = w
        self.blocks = nn.Sequential(*blocks)
        self.to_image = _conv(c_in, channels, 3, bias=True)

    def forward(self, z):
        h = F.relu(self.project_bn(self.project(z).view(-1, self.widths[0], 7, 7)))
        return torch.tanh(self.to_image(self.blocks(h)))


class GhostDiscriminator(nn.Module):
    """``ghostjax.models.ghostgan.GhostDiscriminator`` at 28x28x1: stem, stride-2 bottlenecks
    (SE after the first) to 4x4, sum pool, linear logit."""

    def __init__(self, base: int = 32, channels: int = 1, resolution: int = 28,
                 sn: bool = True):
        super().__init__()
        self.stem = _conv(channels, base, 3, sn=sn)
        blocks, size, width, i = [], resolution, base, 0
        while size > 4:
            blocks += [GhostBottleneck(width, 2 * width, 2 * width, 3, 2,
                                       0.25 if i > 0 else 0.0, sn), nn.LeakyReLU(0.2)]
            size, width, i = -(-size // 2), 2 * width, i + 1
        self.blocks = nn.Sequential(*blocks)
        self.out = _sn(nn.Linear(width, 1), sn)

    def forward(self, x):
        h = self.blocks(F.leaky_relu(self.stem(x), 0.2))
        return self.out(h.sum((2, 3))).view(-1)


def diffaugment(x: torch.Tensor, params: dict[str, torch.Tensor] | None = None
                ) -> torch.Tensor:
    """``ghostjax.training.gan.augment.apply`` with policy 'color,translation,cutout' on
    ``[B, C, H, W]``. ``params``: ``augment.sample``'s ``{'color': [B, 3], 'translation':
    [B, 2], 'cutout': [B, 2]}``; drawn afresh when None."""
    b, _, h, w = x.shape
    shift, side = int(h * 0.125 + 0.5), int(h * 0.5 + 0.5)
    if params is None:
        params = {'color': torch.rand(b, 3, dtype=x.dtype),
                  'translation': torch.randint(-shift, shift + 1, (b, 2)),
                  'cutout': torch.randint(0, h + (1 - side % 2), (b, 2))}
    u = params['color'].to(x.dtype).view(b, 3, 1, 1, 1)
    x = x + (u[:, 0] - 0.5)
    mean = x.mean(1, keepdim=True)
    x = (x - mean) * (u[:, 1] * 2) + mean
    mean = x.mean((1, 2, 3), keepdim=True)
    x = (x - mean) * (u[:, 2] + 0.5) + mean
    dy, dx = (params['translation'][:, i].view(b, 1, 1) for i in range(2))
    ys, xs = torch.arange(h).view(1, h, 1), torch.arange(w).view(1, 1, w)
    rows, cols = (ys - dy).clamp(-1, h), (xs - dx).clamp(-1, w)
    padded = F.pad(x, (1, 1, 1, 1)).permute(0, 2, 3, 1)  # index -1 / h: the zero border
    x = padded[torch.arange(b).view(b, 1, 1), rows + 1, cols + 1].permute(0, 3, 1, 2)
    top, left = (params['cutout'][:, i].view(b, 1, 1) - side // 2 for i in range(2))
    inside = (ys >= top) & (ys < top + side) & (xs >= left) & (xs < left + side)
    return x * (~inside).unsqueeze(1).to(x.dtype)


def _ema(g: nn.Module, decay: float):
    """The generator's exponential moving average, updated after each G step."""
    params = list(g.parameters())
    shadow = [p.detach().clone() for p in params]

    def update():
        with torch.no_grad():
            torch._foreach_lerp_(shadow, [p.detach() for p in params], 1 - decay)
    return update


def _ghost_gan(g: nn.Module, d: nn.Module, batch: int, loss: str, augment: bool,
               lr_g: float, lr_d: float, betas: tuple[float, float], ema_decay: float):
    """One iteration of ``ghostjax.training.gan.train_step`` (n_critic 1): the D step on real
    and on ``fake.detach()``, then the G step through the same fake batch, then G's EMA."""
    opt_d = torch.optim.Adam(d.parameters(), lr=lr_d, betas=betas)
    opt_g = torch.optim.Adam(g.parameters(), lr=lr_g, betas=betas)
    aug = diffaugment if augment else (lambda x: x)
    ema = _ema(g, ema_decay)
    real = torch.rand(batch, 1, 28, 28) * 2 - 1
    ones, zeros = torch.ones(batch), torch.zeros(batch)
    bce = nn.BCEWithLogitsLoss()

    def d_loss(real_logits, fake_logits):
        if loss == 'hinge':
            return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
        return bce(real_logits, ones) + bce(fake_logits, zeros)

    def g_loss(fake_logits):
        return -fake_logits.mean() if loss == 'hinge' else bce(fake_logits, ones)

    def step():
        d.zero_grad(set_to_none=True)
        fake = g(torch.randn(batch, 100))
        d_loss(d(aug(real)), d(aug(fake.detach()))).backward()
        opt_d.step()
        g.zero_grad(set_to_none=True)
        out = g_loss(d(aug(fake)))
        out.backward()
        opt_g.step()
        ema()
        out.item()
    return step


def _dcgan(g: nn.Module, d: nn.Module, batch: int, shape: tuple[int, ...]):
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loss_fn = nn.BCEWithLogitsLoss()
    real = torch.rand(batch, *shape) * 2 - 1
    ones, zeros = torch.ones(batch), torch.zeros(batch)

    def step():
        d.zero_grad(set_to_none=True)
        loss_fn(d(real), ones).backward()
        fake = g(torch.randn(batch, 100))
        loss_fn(d(fake.detach()), zeros).backward()
        opt_d.step()
        g.zero_grad(set_to_none=True)
        loss = loss_fn(d(fake), ones)
        loss.backward()
        opt_g.step()
        loss.item()
    return step


def _matmul(n: int = 4096):
    a, b = torch.randn(n, n), torch.randn(n, n)
    return lambda: torch.mm(a, b)


WORKLOADS = {
    'matmul': _matmul,
    'ghostnet_infer': lambda: _ghostnet(train=False),
    'ghostnet_train': lambda: _ghostnet(train=True),
    'dcgan64': lambda: _dcgan(G64().train(), D64().train(), 64, (3, 64, 64)),
    'dcgan28': lambda: _dcgan(G28().train(), D28().train(), 256, (1, 28, 28)),
    # configs/ghost_g_dcgan28_d_fashion_mnist.py: ns loss, Adam 2e-4 (0.5, 0.999), EMA 0.999
    'ghost_g_dcgan28_d': lambda: _ghost_gan(GhostGenerator().train(), D28().train(), 64, 'ns',
                                            False, 2e-4, 2e-4, (0.5, 0.999), 0.999),
    # configs/ghost_g_ghost_d_fashion_mnist.py: SN Ghost D, hinge, DiffAugment, TTUR
    'ghost_g_ghost_d': lambda: _ghost_gan(GhostGenerator().train(),
                                          GhostDiscriminator().train(), 64, 'hinge', True,
                                          1e-4, 4e-4, (0.0, 0.9), 0.999),
}
