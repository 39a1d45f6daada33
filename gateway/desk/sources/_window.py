"""Which rows, lines or columns of a long document to show: the head, and around each highlight."""

from __future__ import annotations

from collections.abc import Iterable


def window(
    wanted: Iterable[int], *, last: int, head: int, context: int, limit: int
) -> tuple[list[int], set[int]]:
    """Numbers from 1 to ``last`` to show, ascending, and the wanted numbers that did not fit.

    The first ``head`` numbers are shown, then each wanted number with ``context`` either side,
    lowest first, until ``limit`` numbers are shown.
    """
    targets = sorted({n for n in wanted if 1 <= n <= last})
    chosen: set[int] = set(range(1, min(head, last) + 1))
    left_out: set[int] = set()
    for number in targets:
        around = [n for n in range(number - context, number + context + 1) if 1 <= n <= last]
        fresh = [n for n in around if n not in chosen]
        if number not in chosen and len(chosen) + 1 > limit:
            left_out.add(number)
            continue
        for n in sorted(fresh, key=lambda n: (n != number, abs(n - number))):
            if len(chosen) >= limit:
                break
            chosen.add(n)
    return sorted(chosen), left_out


def gaps(numbers: list[int]) -> list[int]:
    """For each shown number, how many numbers were left out just before it."""
    result: list[int] = []
    previous = 0
    for number in numbers:
        result.append(number - previous - 1)
        previous = number
    return result
