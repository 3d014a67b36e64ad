"""Fixtures for the integration suite: each test gets its own Herald(s) in its own tmp_path."""
import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from herald_fixture import HERALD_BIN, Herald  # noqa: E402
# Delivery fixtures (a DNS server, SMTP receivers), registered here for every test module.
from dns_server import dns_zone  # noqa: E402,F401
from receivers import smtp_receiver, smtp_sink  # noqa: E402,F401


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "allow_panic: the test provokes failures; paniclog may have lines")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.herald_call_passed = report.passed


@pytest.fixture
def herald_bin():
    if not os.access(HERALD_BIN, os.X_OK):
        pytest.fail(f"no herald binary at {HERALD_BIN} (build it, or set HERALD_BIN)")
    return HERALD_BIN


@pytest.fixture
def make_herald(tmp_path, herald_bin, request):
    """make_herald(listeners=("relay",), start=True, **sections) -> Herald.

    The first Herald of a test runs in tmp_path itself, later ones in tmp_path/hN. At teardown
    every Herald is stopped with SIGTERM and must exit 0 (a crash during the test shows up
    here), and unless the test is marked allow_panic its paniclog must be empty.
    """
    created = []

    def make(listeners=("relay",), start=True, **sections):
        workdir = tmp_path if not created else tmp_path / f"h{len(created)}"
        herald = Herald(workdir, listeners=listeners, **sections)
        created.append(herald)
        if start:
            herald.start()
        return herald

    yield make
    problems = []
    for herald in created:
        try:
            code = herald.stop()
            if code not in (0, None):
                problems.append(f"herald in {herald.dir} exited with {code} "
                                f"(expected 0 after SIGTERM); stderr:\n{herald.stderr()}")
        except AssertionError as e:
            herald.kill9()
            problems.append(str(e))
    assert not problems, problems
    if not request.node.get_closest_marker("allow_panic"):
        for herald in created:
            assert herald.paniclog() == "", f"paniclog of {herald.dir}:\n{herald.paniclog()}"
    if getattr(request.node, "herald_call_passed", False):
        # A spool is hundreds of directories: drop those of passing tests right away (a
        # failing test keeps everything for a post-mortem).
        for herald in created:
            shutil.rmtree(herald.dir / "var", ignore_errors=True)
