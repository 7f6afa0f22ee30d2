import calc  # imported while pytest is configured: a prepared session would hold stale code
import pytest


@pytest.fixture
def adder():
    return calc.add
