"""`python -m repair`: the same as the `repair` command."""

from repair.cli import app

app(prog_name="repair")
