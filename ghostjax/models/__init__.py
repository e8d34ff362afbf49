"""The model zoo: GhostNet, the DCGAN family, Ghost GANs, InceptionV3 for FID, a registry."""
from ghostjax.models.dcgan import (DCGAN28Discriminator, DCGAN28Generator, DCGANDiscriminator,
                                   DCGANGenerator, MLPDiscriminator, MLPGenerator)
from ghostjax.models.ghostgan import GhostDiscriminator, GhostEncoder, GhostGenerator
from ghostjax.models.ghostnet import GHOSTNET_STAGES, GhostNet
from ghostjax.models.registry import (DISCRIMINATORS, GENERATORS, create_discriminator,
                                      create_generator)
