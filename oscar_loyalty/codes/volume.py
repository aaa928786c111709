"""The volume bonus: "every K registered codes earn N extra points". Pure functions over plain values."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """Where codes are counted (``program:<id>`` or ``batch:<id>``), every how many, and for how many points."""

    scope: str
    every: int
    points: int


def rule_for(batch, program):
    """The rule a code of ``batch`` counts towards: the batch's own, else the program's, else None."""
    if batch.bonus_every and batch.bonus_points:
        return Rule(scope=f"batch:{batch.pk}", every=batch.bonus_every, points=batch.bonus_points)
    if program.bonus_every and program.bonus_points:
        return Rule(scope=f"program:{program.pk}", every=program.bonus_every, points=program.bonus_points)
    return None


def threshold_reached(count, every):
    """The threshold number the ``count``-th code reaches (1 for the K-th code, 2 for the 2K-th…), else None.

    Registrations of one customer are counted one at a time (under a lock),
    so each threshold is reached by exactly one registration.
    """
    if every <= 0 or count <= 0 or count % every:
        return None
    return count // every
