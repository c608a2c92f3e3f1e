"""Stopping without cutting work in half, and exiting even when stopping hangs."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap

import pytest

from app.graceful import FORCED_EXIT_STATUS, finish_first


async def test_a_cancelled_caller_waits_for_the_work_to_end_then_is_cancelled() -> None:
    steps: list[str] = []

    async def work() -> str:
        steps.append("began")
        await asyncio.sleep(0.05)
        steps.append("ended")
        return "result"

    caller = asyncio.create_task(finish_first(work()))
    await asyncio.sleep(0.01)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert steps == ["began", "ended"]


async def test_the_work_s_result_and_errors_pass_through() -> None:
    async def fails() -> None:
        raise ValueError("boom")

    assert await finish_first(asyncio.sleep(0, result=7)) == 7
    with pytest.raises(ValueError, match="boom"):
        await finish_first(fails())


# A process whose stop request never makes it stop.
STUCK = textwrap.dedent(
    """
    import asyncio, sys
    from app.graceful import SignalStop

    async def main():
        SignalStop(lambda: None, grace_seconds=float(sys.argv[1])).install()
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)


def _stuck_process(grace_seconds: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", STUCK, str(grace_seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    return process


def test_a_process_that_does_not_stop_within_its_grace_exits_anyway() -> None:
    process = _stuck_process(grace_seconds=0.5)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == FORCED_EXIT_STATUS
    assert "still stopping after 0.5 s" in err


def test_a_second_signal_exits_at_once() -> None:
    process = _stuck_process(grace_seconds=600)
    process.send_signal(signal.SIGINT)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == FORCED_EXIT_STATUS
    assert "again: exiting without waiting" in err  # whichever of the two came second
