"""Model registry: an architecture name in ModelConfig picks a keyword-only factory."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from repair.models.config import ModelConfig
from repair.models.guided_unet import GuidedIterativeGraphUNet, TestFeedback
from repair.models.iterative_unet import IterativeGraphUNet, ModelOutput
from repair.models.template_files import remove_template_files


def iterative_graph_unet(*, config: ModelConfig) -> nn.Module:
    """Exp 1, 2, 4: test signal as a node feature."""
    return IterativeGraphUNet(config)


def guided_graph_unet(*, config: ModelConfig) -> nn.Module:
    """Exp 3, 3b (use_test_guidance=False), 3c, 3d: test feedback through cross-attention."""
    return GuidedIterativeGraphUNet(config)


ARCHITECTURES: dict[str, Callable[..., nn.Module]] = {
    "iterative": iterative_graph_unet,
    "guided": guided_graph_unet,
}


def build_model(config: ModelConfig) -> nn.Module:
    try:
        factory = ARCHITECTURES[config.architecture]
    except KeyError:
        known = ", ".join(sorted(ARCHITECTURES))
        raise ValueError(f"unknown architecture {config.architecture!r} (known: {known})") from None
    model = factory(config=config)
    remove_template_files()  # PyG leaves its generated modules in the temporary directory
    return model


__all__ = [
    "ARCHITECTURES",
    "GuidedIterativeGraphUNet",
    "IterativeGraphUNet",
    "ModelConfig",
    "ModelOutput",
    "TestFeedback",
    "build_model",
]
