"""glibc malloc thresholds for training: large blocks stay in the heap between steps."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from spanlab.training.malloc import keep_large_blocks


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_large_blocks_are_reused_instead_of_mapped_again():
    # In a fresh process: allocating a 64 MB tensor again and again faults in new pages each
    # time by default (minor page faults grow with every allocation); after keep_large_blocks
    # the freed block is reused and the fault count stays flat.
    script = textwrap.dedent(
        """
        import resource, sys, torch
        from spanlab.training.malloc import keep_large_blocks
        if sys.argv[1] == "keep":
            assert keep_large_blocks()
        def faults():
            return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(5):  # warm up: the heap grows to hold the block
            torch.zeros(4096, 4096).add_(1)
        before = faults()
        for _ in range(20):
            torch.zeros(4096, 4096).add_(1)
        print(faults() - before)
        """
    )
    counts = {
        mode: int(subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True,
                                 check=True).stdout.split()[-1])
        for mode in ("default", "keep")
    }
    pages_per_block = 4096 * 4096 * 4 // 4096
    assert counts["default"] > 10 * pages_per_block  # allocations map their pages again
    assert counts["keep"] < counts["default"] / 10  # the freed block is reused


def test_calling_twice_is_harmless():
    assert keep_large_blocks() == keep_large_blocks()
