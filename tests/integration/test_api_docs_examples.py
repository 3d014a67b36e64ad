"""docs/api.md, run as written: every ```sh and ```python example against a real Herald.

The guide's own steps set the Herald up: its key-making block (the ```sh block with
`openssl rand -hex 32`) makes the token and its hash, and its ```toml block with [[api_key]]
is the config (the hash put in, [admin] http moved to a free port). Each example then runs as
it is, in its own directory, with HERALD_TOKEN set and 127.0.0.1:8025 replaced by that port:
sh blocks with `sh -e`, python blocks with this interpreter. An example passes when it exits
0 (curl's --fail-with-body and requests' raise_for_status() turn an error status into a
failure) and the mainlog shows what it queued: the arrival lines of its section's count, each
with A=api:<name> and P=http, and each queue id printed by the example.
"""
import hashlib
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from herald_fixture import REPO, free_port

GUIDE = REPO / "docs" / "api.md"
DOC_ADDRESS = "127.0.0.1:8025"
RUN_TIMEOUT = 120

# Messages each section's example queues. Every section with examples must be listed, so that
# a new example comes with what it should leave in the queue.
ARRIVALS = {
    "A text message": 1,
    "HTML and text, with an attachment": 1,
    "A raw message": 1,
    "A batch, one message per recipient": 2,  # the batch has two `to` recipients
    "Retrying safely: `Idempotency-Key`": 1,  # two requests, one message
    "Only over validated TLS: `require_tls`": 1,  # each example queues one
    "Delivery status notifications: `dsn`": 1,
    "Suppression lists": 0,  # it manages a list, and queues nothing
}


def guide_blocks():
    """[(heading, language, code)] of every fenced block of the guide, in order; heading is
    the text of the closest heading above it."""
    blocks, heading, fence = [], "", None
    for line in GUIDE.read_text(encoding="utf-8").splitlines(keepends=True):
        if fence is None:
            if line.startswith("```"):
                fence = (line[3:].strip(), [])
            elif re.match(r"#{1,6} ", line):
                heading = line.lstrip("#").strip()
        elif line.rstrip() == "```":
            blocks.append((heading, fence[0], "".join(fence[1])))
            fence = None
        else:
            fence[1].append(line)
    assert fence is None, f"{GUIDE}: a code block is never closed"
    return blocks


def is_key_block(language, code):
    return language == "sh" and "openssl rand -hex 32" in code


def examples():
    return [(heading, language, code) for heading, language, code in guide_blocks()
            if language in ("sh", "python") and not is_key_block(language, code)]


def example_id(example):
    heading, language, _ = example
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-") + "-" + language


def example_env(token):
    env = dict(os.environ, HERALD_TOKEN=token)
    # Loopback only: a proxy from the environment must not carry the examples elsewhere.
    env["no_proxy"] = env["NO_PROXY"] = "127.0.0.1,localhost"
    return env


def run_block(language, code, workdir, env):
    workdir.mkdir(parents=True, exist_ok=True)
    if language == "sh":
        script = workdir / "example.sh"
        argv = ["sh", "-e", str(script)]
    else:
        script = workdir / "example.py"
        argv = [sys.executable, str(script)]
    script.write_text(code, encoding="utf-8")
    result = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True,
                            timeout=RUN_TIMEOUT)
    hint = ""
    if "No module named 'requests'" in result.stderr:
        hint = "\n(the python examples need python3-requests: apt-get install python3-requests)"
    assert result.returncode == 0, (
        f"{script.name} exited {result.returncode}{hint}\n--- code:\n{code}\n"
        f"--- stdout:\n{result.stdout}\n--- stderr:\n{result.stderr}")
    return result.stdout


def guide_key(workdir):
    """Runs the guide's key-making block: (token, key_sha256) as it prints them."""
    blocks = [code for _, language, code in guide_blocks() if is_key_block(language, code)]
    assert len(blocks) == 1, f"{GUIDE}: expected one sh block with `openssl rand -hex 32`"
    out = run_block("sh", blocks[0], workdir, example_env(""))
    token = re.search(r"^token:\s+(\S+)$", out, re.M)
    digest = re.search(r"^key_sha256:\s+(\S+)$", out, re.M)
    assert token and digest, f"the key block printed no token: and key_sha256: lines:\n{out}"
    assert re.fullmatch(r"[0-9a-f]{64}", token.group(1)), token.group(1)
    # The config wants the hash of the token's characters, not of a line with its newline.
    assert digest.group(1) == hashlib.sha256(token.group(1).encode()).hexdigest(), out
    return token.group(1), digest.group(1)


def guide_config(key_sha256, port):
    """The guide's [admin] and [[api_key]] config, with the hash put in and the admin HTTP
    server on `port`."""
    tomls = [code for _, language, code in guide_blocks()
             if language == "toml" and "[[api_key]]" in code]
    assert len(tomls) == 1, f"{GUIDE}: expected one toml block with [[api_key]]"
    config = tomllib.loads(tomls[0])
    assert config["admin"]["http"] == DOC_ADDRESS, config["admin"]
    config["admin"]["http"] = f"127.0.0.1:{port}"
    [key] = config["api_key"]
    key["key_sha256"] = key_sha256
    return config


def arrival_lines(h):
    """The mainlog's arrival lines: `<ts> <id> <= <sender> ...`."""
    return [line for line in h.mainlog().splitlines() if line.split()[2:3] == ["<="]]


def test_every_section_with_examples_has_both_languages():
    found = {}
    for heading, language, _ in examples():
        found.setdefault(heading, []).append(language)
    assert found, f"no ```sh or ```python block in {GUIDE}"
    assert set(found) == set(ARRIVALS), (
        f"sections with examples {sorted(found)}; this test expects {sorted(ARRIVALS)}")
    for heading, languages in found.items():
        assert sorted(languages) == ["python", "sh"], (heading, languages)


@pytest.mark.parametrize("example", examples(), ids=example_id)
def test_guide_example_runs_against_herald(example, make_herald, tmp_path):
    heading, language, code = example
    assert DOC_ADDRESS in code, f"the example does not talk to {DOC_ADDRESS}:\n{code}"
    token, key_sha256 = guide_key(tmp_path / "key")
    port = free_port()
    config = guide_config(key_sha256, port)
    key_name = config["api_key"][0]["name"]
    h = make_herald(transport=[{"name": "discard", "type": "null"}],
                    route=[{"sender": "*", "transport": "discard"}], **config)

    stdout = run_block(language, code.replace(DOC_ADDRESS, f"127.0.0.1:{port}"),
                       tmp_path / "example", example_env(token))

    expected = ARRIVALS[heading]
    h.wait_for(lambda: len(arrival_lines(h)) >= expected,
               what=f"{expected} arrival line(s) in the mainlog")
    lines = arrival_lines(h)
    assert len(lines) == expected, f"expected {expected} message(s) queued:\n" + "\n".join(lines)
    for line in lines:
        assert f" A=api:{key_name} " in f"{line} ", line
        assert " P=http " in line, line
        msg_id = line.split()[1]
        assert msg_id in stdout, f"queue id {msg_id} is not in the example's output:\n{stdout}"
