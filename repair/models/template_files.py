"""PyTorch Geometric's generated modules, removed from the temporary directory once loaded.

`torch_geometric.template.module_from_template` renders a module for each message-passing class
(`GATConv`'s `propagate` and `edge_updater`, `GCNConv`'s `propagate`) into the temporary
directory with `delete=False` and imports it. Nothing removes the files, so every process that
built a model left two or three behind. Once the module is imported its code lives in memory;
the file is only read again by `inspect.getsource` and tracebacks, which repair does not need.
"""

from __future__ import annotations

import os
import sys
import tempfile


def remove_template_files() -> list[str]:
    """Delete the temporary files of the generated modules this process has loaded; returns
    their paths."""
    folder = os.path.realpath(tempfile.gettempdir())
    removed = []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not name.startswith("torch_geometric.") or not path:
            continue
        if os.path.dirname(os.path.realpath(path)) != folder:
            continue
        if not os.path.basename(path).startswith(f"{name}_"):
            continue
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed
