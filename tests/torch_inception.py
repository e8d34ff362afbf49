"""pytorch-fid's FID InceptionV3, written compactly in PyTorch for equivalence tests."""
import torch
import torch.nn.functional as F
from torch import nn


class BasicConv2d(nn.Module):
    def __init__(self, i, o, k, s=1, p=0):
        super().__init__()
        self.conv = nn.Conv2d(i, o, k, s, p, bias=False)
        self.bn = nn.BatchNorm2d(o, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def _avg(x):
    return F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)


class A(nn.Module):
    def __init__(self, i, pool):
        super().__init__()
        self.branch1x1 = BasicConv2d(i, 64, 1)
        self.branch5x5_1, self.branch5x5_2 = BasicConv2d(i, 48, 1), BasicConv2d(48, 64, 5, p=2)
        self.branch3x3dbl_1 = BasicConv2d(i, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, p=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, p=1)
        self.branch_pool = BasicConv2d(i, pool, 1)

    def forward(self, x):
        return torch.cat([self.branch1x1(x), self.branch5x5_2(self.branch5x5_1(x)),
                          self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          self.branch_pool(_avg(x))], 1)


class B(nn.Module):
    def __init__(self, i):
        super().__init__()
        self.branch3x3 = BasicConv2d(i, 384, 3, 2)
        self.branch3x3dbl_1 = BasicConv2d(i, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, p=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, 2)

    def forward(self, x):
        return torch.cat([self.branch3x3(x),
                          self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          F.max_pool2d(x, 3, 2)], 1)


class C(nn.Module):
    def __init__(self, i, c):
        super().__init__()
        self.branch1x1 = BasicConv2d(i, 192, 1)
        self.branch7x7_1 = BasicConv2d(i, c, 1)
        self.branch7x7_2 = BasicConv2d(c, c, (1, 7), p=(0, 3))
        self.branch7x7_3 = BasicConv2d(c, 192, (7, 1), p=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(i, c, 1)
        self.branch7x7dbl_2 = BasicConv2d(c, c, (7, 1), p=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c, c, (1, 7), p=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c, c, (7, 1), p=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c, 192, (1, 7), p=(0, 3))
        self.branch_pool = BasicConv2d(i, 192, 1)

    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = x
        for k in range(1, 6):
            bd = getattr(self, f'branch7x7dbl_{k}')(bd)
        return torch.cat([self.branch1x1(x), b7, bd, self.branch_pool(_avg(x))], 1)


class D(nn.Module):
    def __init__(self, i):
        super().__init__()
        self.branch3x3_1, self.branch3x3_2 = BasicConv2d(i, 192, 1), BasicConv2d(192, 320, 3, 2)
        self.branch7x7x3_1 = BasicConv2d(i, 192, 1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, (1, 7), p=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, (7, 1), p=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, 3, 2)

    def forward(self, x):
        b7 = x
        for k in range(1, 5):
            b7 = getattr(self, f'branch7x7x3_{k}')(b7)
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), b7, F.max_pool2d(x, 3, 2)], 1)


class E(nn.Module):
    def __init__(self, i, max_pool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(i, 320, 1)
        self.branch3x3_1 = BasicConv2d(i, 384, 1)
        self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), p=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), p=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(i, 448, 1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, 3, p=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), p=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), p=(1, 0))
        self.branch_pool = BasicConv2d(i, 192, 1)

    def forward(self, x):
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        pooled = F.max_pool2d(x, 3, 1, 1) if self.max_pool else _avg(x)
        return torch.cat([self.branch1x1(x), b3, bd, self.branch_pool(pooled)], 1)


class TorchFIDInception(nn.Module):
    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, 2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, p=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
        self.Mixed_5b, self.Mixed_5c, self.Mixed_5d = A(192, 32), A(256, 64), A(288, 64)
        self.Mixed_6a = B(288)
        self.Mixed_6b, self.Mixed_6c = C(768, 128), C(768, 160)
        self.Mixed_6d, self.Mixed_6e = C(768, 160), C(768, 192)
        self.Mixed_7a = D(768)
        self.Mixed_7b, self.Mixed_7c = E(1280, False), E(2048, True)
        self.fc = nn.Linear(2048, 1008)

    def forward(self, x):
        """x: [B, 3, H, W] in [-1, 1] -> (pool3 [B, 2048], softmax [B, 1008])."""
        x = F.interpolate(x, size=(299, 299), mode='bilinear', align_corners=False)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(F.max_pool2d(x, 3, 2)))
        x = F.max_pool2d(x, 3, 2)
        for name in ('5b', '5c', '5d', '6a', '6b', '6c', '6d', '6e', '7a', '7b', '7c'):
            x = getattr(self, f'Mixed_{name}')(x)
        pool = x.mean((2, 3))
        return pool, F.softmax(self.fc(pool), -1)
