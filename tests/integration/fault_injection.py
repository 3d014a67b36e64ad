"""fault_shim.c, built once per test session, and the environment that starts Herald under
it: `fault_shim.crash_at(n, "before")` kills Herald (SIGKILL) just before its nth
fdatasync, fsync, syncfs, rename or unlink; `fault_shim.pause_open(substring, until)` holds
every open of a path containing `substring` until the file `until` exists.

A test module imports the fixture: `from fault_injection import fault_shim`."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

SOURCE = Path(__file__).with_name("fault_shim.c")
# What the shim writes to Herald's stderr just before it kills.
KILL_LINE = re.compile(r"^fault_shim: SIGKILL (before|after) call (\d+) (\w+)$", re.M)


class FaultShim:
    def __init__(self, library):
        self.library = str(library)

    def crash_at(self, call, when="before"):
        """Environment for a Herald that dies at its `call`th counted call (1-based),
        `when` "before" or "after" making it."""
        assert when in ("before", "after"), when
        return {"LD_PRELOAD": self.library, "HERALD_FAULT_AT": str(call),
                "HERALD_FAULT_WHEN": when}

    def pause_open(self, substring, until):
        """Environment for a Herald whose opens of a path containing `substring` (as passed
        to open/openat: a name relative to a directory stays a name) wait until the file
        `until` (an absolute path) exists."""
        return {"LD_PRELOAD": self.library, "HERALD_PAUSE_OPEN": substring,
                "HERALD_PAUSE_UNTIL": str(until)}

    @staticmethod
    def kill_in(stderr):
        """(when, call number, function) of the shim's kill reported in `stderr`; None when
        the shim did not kill."""
        found = KILL_LINE.search(stderr)
        return (found.group(1), int(found.group(2)), found.group(3)) if found else None


@pytest.fixture(scope="session")
def fault_shim(tmp_path_factory):
    compiler = shutil.which("cc")
    if compiler is None:
        pytest.fail("no C compiler (cc) to build tests/integration/fault_shim.c")
    library = tmp_path_factory.mktemp("fault_shim") / "fault_shim.so"
    built = subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-Wall", "-o", str(library),
                            str(SOURCE), "-ldl"], capture_output=True, text=True)
    assert built.returncode == 0, f"building {SOURCE.name} failed:\n{built.stderr}"
    return FaultShim(library)
