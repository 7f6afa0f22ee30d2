"""Building a model leaves none of PyG's generated modules in the temporary directory."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from tiny_graphs import tiny_config
    from repair.models import build_model
    build_model(tiny_config())
    build_model(tiny_config(features="exp3", architecture="guided"))
    """
)


def test_building_models_leaves_no_generated_module_behind(tmp_path: Path) -> None:
    tests = str(Path(__file__).parent)
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(tests=tests)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("torch_geometric"))
    assert left == []  # torch's own cache folder (torchinductor_*) is reused, not litter
