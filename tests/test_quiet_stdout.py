"""quiet_stdout across threads: the explorer solves a preview while its whole-slot plan solves in
a background thread, and both silence HiGHS's banner on the process's one fd 1."""

from __future__ import annotations

import os
import threading

from tuoyu_model.allocation.solver import quiet_stdout


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def test_interleaved_blocks_restore_fd1_and_silence_while_any_is_open():
    before = os.fstat(1)
    devnull = os.stat(os.devnull)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with quiet_stdout():
            a_in.set()
            b_in.wait(5)
        seen["after_a"] = os.fstat(1)  # B still inside: still silenced
        a_out.set()

    def second():
        a_in.wait(5)
        with quiet_stdout():
            b_in.set()
            a_out.wait(5)
            seen["inside_b"] = os.fstat(1)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert _same_file(seen["after_a"], devnull) and _same_file(seen["inside_b"], devnull)
    # the last one out puts the original back (before the fix: B restored A's /dev/null for good)
    assert _same_file(os.fstat(1), before)


def test_a_nested_block_keeps_silencing_until_the_outer_one_ends():
    before = os.fstat(1)
    with quiet_stdout():
        with quiet_stdout():
            pass
        assert _same_file(os.fstat(1), os.stat(os.devnull))
    assert _same_file(os.fstat(1), before)
