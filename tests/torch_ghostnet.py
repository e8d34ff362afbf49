"""A compact PyTorch GhostNet (V1 and V2) with the reference key names, for equivalence tests."""
import math

import torch
import torch.nn.functional as F
from torch import nn

from ghostjax.nn.ghost import make_divisible
from ghostjax.models.ghostnet import GHOSTNET_STAGES


def _bn_conv(i, o, k, s=1, groups=1, act=True, pad=None):
    pad = k // 2 if pad is None else pad
    layers = [nn.Conv2d(i, o, k, s, pad, groups=groups, bias=False), nn.BatchNorm2d(o)]
    return nn.Sequential(*layers, *([nn.ReLU()] if act else []))


class GhostModule(nn.Module):
    def __init__(self, i, o, relu=True, dfc=False):
        super().__init__()
        init = math.ceil(o / 2)
        self.o = o
        self.primary_conv = _bn_conv(i, init, 1, act=relu)
        self.cheap_operation = _bn_conv(init, init, 3, groups=init, act=relu)
        self.short_conv = nn.Sequential(
            nn.Conv2d(i, o, 1, bias=False), nn.BatchNorm2d(o),
            nn.Conv2d(o, o, (1, 5), 1, (0, 2), groups=o, bias=False), nn.BatchNorm2d(o),
            nn.Conv2d(o, o, (5, 1), 1, (2, 0), groups=o, bias=False), nn.BatchNorm2d(o),
        ) if dfc else None

    def forward(self, x):
        p = self.primary_conv(x)
        out = torch.cat([p, self.cheap_operation(p)], 1)[:, :self.o]
        if self.short_conv is not None:
            gate = torch.sigmoid(self.short_conv(F.avg_pool2d(x, 2, 2)))
            out = out * F.interpolate(gate, size=out.shape[-2:], mode='nearest')
        return out


class SqueezeExcite(nn.Module):
    def __init__(self, c, ratio):
        super().__init__()
        rd = make_divisible(c * ratio, 4)
        self.conv_reduce, self.conv_expand = nn.Conv2d(c, rd, 1), nn.Conv2d(rd, c, 1)

    def forward(self, x):
        s = self.conv_expand(F.relu(self.conv_reduce(x.mean((2, 3), keepdim=True))))
        return x * F.relu6(s + 3) / 6


class GhostBottleneck(nn.Module):
    def __init__(self, i, mid, o, k, s, se, dfc):
        super().__init__()
        self.s = s
        self.ghost1 = GhostModule(i, mid, True, dfc)
        if s > 1:
            self.conv_dw = nn.Conv2d(mid, mid, k, s, k // 2, groups=mid, bias=False)
            self.bn_dw = nn.BatchNorm2d(mid)
        self.se = SqueezeExcite(mid, se) if se > 0 else None
        self.ghost2 = GhostModule(mid, o, False)
        self.shortcut = nn.Sequential() if (i == o and s == 1) else nn.Sequential(
            nn.Conv2d(i, i, k, s, k // 2, groups=i, bias=False), nn.BatchNorm2d(i),
            nn.Conv2d(i, o, 1, bias=False), nn.BatchNorm2d(o))

    def forward(self, x):
        y = self.ghost1(x)
        if self.s > 1:
            y = self.bn_dw(self.conv_dw(y))
        if self.se is not None:
            y = self.se(y)
        return self.ghost2(y) + self.shortcut(x)


class ConvBnAct(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.conv, self.bn1 = nn.Conv2d(i, o, 1, bias=False), nn.BatchNorm2d(o)

    def forward(self, x):
        return F.relu(self.bn1(self.conv(x)))


class TorchGhostNet(nn.Module):
    def __init__(self, width=1.0, num_classes=1000, version=1, stem_stride=2):
        super().__init__()
        c = make_divisible(16 * width, 4)
        self.conv_stem = nn.Conv2d(3, c, 3, stem_stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        stages, block_id = [], 0
        for stage in GHOSTNET_STAGES:
            blocks = []
            for k, exp, out, se, s in stage:
                o, mid = make_divisible(out * width, 4), make_divisible(exp * width, 4)
                blocks.append(GhostBottleneck(c, mid, o, k, s, se, version == 2 and block_id > 1))
                c, block_id = o, block_id + 1
            stages.append(nn.Sequential(*blocks))
        last = make_divisible(GHOSTNET_STAGES[-1][-1][1] * width, 4)
        stages.append(nn.Sequential(ConvBnAct(c, last)))
        self.blocks = nn.Sequential(*stages)
        self.conv_head = nn.Conv2d(last, 1280, 1)
        self.classifier = nn.Linear(1280, num_classes)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn1(self.conv_stem(x))))
        x = F.relu(self.conv_head(x.mean((2, 3), keepdim=True))).flatten(1)
        return self.classifier(x)
