from pathlib import Path

from calc import add

OUT = Path(__file__).resolve().parent.parent / "out"


def test_cleans_and_writes_out():
    # Through `out`: in the run's copy this must stay inside the copy.
    for path in OUT.iterdir():
        path.unlink()
    (OUT / "written.txt").write_text("written by a test\n")
    assert sorted(p.name for p in OUT.iterdir()) == ["written.txt"]


def test_add():
    assert add(2, 3) == 5
