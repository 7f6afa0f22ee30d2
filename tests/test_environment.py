"""The training environment: batches in flight at once, and a looping program holds up only its own."""

from __future__ import annotations

from repair.source import tokens
from repair.vocabulary import Vocabulary
from training.programs import Program
from training.trajectory import Environment, State

FAST = Program(
    name="fast",
    source="def double(x):\n    return x * 2\n",
    tests=("assert double(2) == 4", "assert double(0) == 0"),
    origin="test",
)
LOOPING = Program(
    name="looping",
    source="def spin(x):\n    while x > 0:\n        x = x + 1\n    return x\n",
    tests=("assert spin(1) == 0", "assert spin(2) == 0"),
    origin="test",
)


def _state(index: int, program: Program) -> State:
    source = program.source.encode()
    return State(index, source, tuple(t.text for t in tokens(source)), 0)


def test_a_looping_batch_does_not_hold_up_the_next() -> None:
    vocabulary = Vocabulary.build([t.text for t in tokens(LOOPING.source.encode())], min_count=1)
    with Environment(
        [FAST, LOOPING], vocabulary, "tarantula", workers=2, timeout=1.0, lanes=2
    ) as environment:
        slow = environment.observe_async([_state(1, LOOPING)])
        fast = environment.observe_async([_state(0, FAST)])
        observations = fast.result(timeout=30)
        assert not slow.done()  # two tests time out at 1 s each; the fast batch came back first
        assert observations[0].failing == 0 and observations[0].total_tests == 2
        looping = slow.result(timeout=30)
        assert looping[0].failing == 2


def test_observations_match_the_states_in_order() -> None:
    vocabulary = Vocabulary.build([t.text for t in tokens(FAST.source.encode())], min_count=1)
    broken = Program(FAST.name, FAST.source.replace("x * 2", "x + 2"), FAST.tests, "test")
    with Environment([FAST, broken], vocabulary, "binary", workers=3, lanes=1) as environment:
        states = [_state(i % 2, [FAST, broken][i % 2]) for i in range(8)]
        observations = environment.observe(states)
    assert [o.failing for o in observations] == [0, 1] * 4
    # no failing test, no signal; the broken program's failing test ran line 2
    assert observations[0].graph.signal.max() == 0.0
    lines = observations[1].graph.node_line
    assert observations[1].graph.signal[lines == 2].min() == 1.0
