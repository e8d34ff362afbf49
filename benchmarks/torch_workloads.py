"""The PyTorch peers of ``jax_workloads.py`` (run in the peers venv: torch + timm, no JAX).

Definitions follow the peers' own code: timm's ``ghostnet_100``; the PyTorch DCGAN
example at 64x64 and the TF-tutorial DCGAN at 28x28, one iteration = D step on real and on
``fake.detach()``, then the G step through the same fake batch, Adam 2e-4 (0.5, 0.999).
"""
from __future__ import annotations

import torch
import torch.nn as nn


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
    # the Ghost-GAN's peer is the PyTorch DCGAN it replaces, at the Ghost-GAN's batch
    'ghostgan': lambda: _dcgan(G28().train(), D28().train(), 64, (1, 28, 28)),
}
