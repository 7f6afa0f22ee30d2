"""repair: fix Python code from its failing tests.

`from repair import fix, RepairConfig` loads the repair loop on first use, so `import repair`
stays light (no torch): the model is imported only when a repair uses it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from repair.fix import RepairConfig, RepairResult, fix

__all__ = ["RepairConfig", "RepairResult", "fix"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("repair.fix"), name)
    raise AttributeError(f"module 'repair' has no attribute {name!r}")
