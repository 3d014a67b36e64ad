"""herald check-config: exit 0 for a good file; exit 2 with `file:line: what` lines."""
import os
import re
import subprocess

import pytest

from herald_fixture import HERALD_BIN

GOOD = """\
[server]
hostname = "mail.herald.test"
spool_dir = "var/spool"
log_dir = "var/log"

[[listener]]
address = "127.0.0.1:2525"
mode = "relay"

[limits]
command_timeout = "5m"
max_recipients = 100

[[transport]]
name = "discard"
type = "null"

[[route]]
sender = "*"
transport = "discard"
"""
ERROR_LINE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): (?P<what>\S.*)$")


def check(tmp_path, text, name="herald.toml"):
    path = tmp_path / name
    path.write_text(text)
    result = subprocess.run([HERALD_BIN, "check-config", "--config", str(path)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=30)
    return result, path


def replace_line(n, new):
    lines = GOOD.splitlines()
    lines[n - 1] = new
    return "\n".join(lines) + "\n"


def test_good_config_passes(tmp_path, herald_bin):
    result, _ = check(tmp_path, GOOD)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


# (line to replace, new text, a word the message should contain)
BAD = {
    "mode": (8, 'mode = "smoke"', "mode"),
    "address": (7, 'address = "127.0.0.1:99999"', "address|port"),
    "duration": (11, 'command_timeout = "30x"', "command_timeout|duration"),
    "negative": (12, "max_recipients = -5", "max_recipients"),
    "route": (20, 'transport = "nowhere"', "nowhere|transport"),
    "type": (16, 'type = "carrier-pigeon"', "type|carrier-pigeon"),
    "syntax": (2, 'hostname = "unterminated', ""),
    "type-of-value": (3, "spool_dir = 42", "spool_dir"),
    "hostname": (2, 'hostname = "bad host"', "hostname"),
    "unknown-key": (4, 'log_dri = "var/log"', "log_dri"),
}

LISTENER = '[[listener]]\naddress = "127.0.0.1:2525"\nmode = "relay"\n'
# (document, line of the first error, a word the message should contain)
DOCS = {
    "cidr": (LISTENER + '[relay]\nnetworks = ["10.0.0.0/33"]\n', 5, "networks"),
    "password-hash": (LISTENER + '[[user]]\nname = "a"\npassword_hash = "plaintext"\n', 6,
                      "password_hash"),
    "retry": (LISTENER + '[queue]\nretry = ["5m", "banana"]\n', 5, "retry"),
    "mailbox": (LISTENER + '[local]\ndomains = ["x.test"]\nmailbox = "mh"\n', 6, "mailbox"),
    "bare-line-endings": (LISTENER + '[smtp]\nbare_line_endings = "ignore"\n', 5,
                          "bare_line_endings"),
    "duplicate-listener": (LISTENER + LISTENER, 5, "2525"),
    "boolean": (LISTENER + '[relay]\nmask_client_ip = "yes"\n', 5, "mask_client_ip"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_error_names_file_and_line(tmp_path, herald_bin, case):
    line, new, word = BAD[case]
    result, path = check(tmp_path, replace_line(line, new))
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    errors = [l for l in result.stderr.splitlines() if l.strip()]
    assert errors, "no error printed"
    for err in errors:
        m = ERROR_LINE.match(err)
        assert m, f"not 'file:line: what': {err!r}"
        assert m.group("file").endswith("herald.toml"), err
    first = ERROR_LINE.match(errors[0])
    assert int(first.group("line")) == line, f"expected line {line}: {errors}"
    if word:
        assert re.search(word, result.stderr, re.I), result.stderr


@pytest.mark.parametrize("case", list(DOCS))
def test_error_in_other_sections_names_its_line(tmp_path, herald_bin, case):
    text, line, word = DOCS[case]
    result, _ = check(tmp_path, text)
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    first = ERROR_LINE.match(result.stderr.splitlines()[0])
    assert first and int(first.group("line")) == line, result.stderr
    assert re.search(word, result.stderr, re.I), result.stderr


def test_every_error_is_reported(tmp_path, herald_bin):
    text = replace_line(8, 'mode = "smoke"')
    text = text.replace('command_timeout = "5m"', 'command_timeout = "soon"')
    result, _ = check(tmp_path, text)
    assert result.returncode == 2
    lines = {int(ERROR_LINE.match(l).group("line")) for l in result.stderr.splitlines()
             if ERROR_LINE.match(l)}
    assert {8, 11} <= lines, result.stderr


def test_missing_file(tmp_path, herald_bin):
    result = subprocess.run([HERALD_BIN, "check-config", "--config", str(tmp_path / "nope.toml")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "nope.toml" in result.stderr


def test_serve_refuses_a_bad_config(tmp_path, herald_bin):
    path = tmp_path / "herald.toml"
    path.write_text(replace_line(8, 'mode = "smoke"'))
    result = subprocess.run([HERALD_BIN, "serve", "--allow-root", "--config", str(path), "--foreground"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=30)
    assert result.returncode != 0
    assert "herald.toml:8:" in result.stderr


def test_a_config_without_a_listener_is_refused(tmp_path, herald_bin):
    text = GOOD.replace('[[listener]]\naddress = "127.0.0.1:2525"\nmode = "relay"\n', "")
    assert "[[listener]]" not in text
    for body in (text, ""):
        result, _ = check(tmp_path, body)
        assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
        [error] = [l for l in result.stderr.splitlines() if l.strip()]
        m = ERROR_LINE.match(error)
        assert m and m.group("file").endswith("herald.toml"), error
        assert "no [[listener]]" in m.group("what"), error
    path = tmp_path / "herald.toml"
    result = subprocess.run([HERALD_BIN, "serve", "--allow-root", "--config", str(path), "--foreground"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=30)
    assert result.returncode == 2 and "no [[listener]]" in result.stderr, result


def test_a_fifo_or_a_huge_file_is_refused_at_once(tmp_path, herald_bin):
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.toml"
    huge.write_text(GOOD + "# padding\n" * (1024 * 1024 // 10 + 1))
    for path, what in ((fifo, "not a regular file"), (huge, "larger than 1 MiB")):
        for command in ("check-config", "serve"):
            result = subprocess.run([HERALD_BIN, command, "--config", str(path), "--foreground"]
                                    if command == "serve" else
                                    [HERALD_BIN, command, "--config", str(path)],
                                    capture_output=True, text=True, cwd=tmp_path, timeout=30)
            assert result.returncode == 2, (command, path, result)
            assert f"{path}:0: cannot read: {what}" in result.stderr, result.stderr


# -- issue 20: check-config runs the checks serve runs, and reports every problem -------------

def keygen(tmp_path, domain, selector):
    out = tmp_path / "keys"
    subprocess.run([HERALD_BIN, "dkim", "keygen", "--domain", domain, "--selector", selector,
                    "--out", str(out)], capture_output=True, check=True, timeout=60)
    return out / f"{domain}.{selector}.key"


def self_signed(tmp_path, name):
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", f"/CN={name}"], capture_output=True, check=True)
    key.chmod(0o600)
    return cert, key


def dkim_key(domain, path):
    return (f'\n[[dkim.key]]\ndomain = "{domain}"\nselector = "s1"\n'
            f'private_key = "{path}"\n')


def test_every_dkim_key_and_the_tls_pair_are_loaded_as_serve_loads_them(tmp_path, herald_bin):
    good_key = keygen(tmp_path, "good.test", "s1")
    readable = keygen(tmp_path, "readable.test", "s1")
    readable.chmod(0o644)
    garbage = tmp_path / "garbage.key"
    garbage.write_text("not a key\n")
    garbage.chmod(0o600)
    first_cert, _ = self_signed(tmp_path, "first")
    _, second_key = self_signed(tmp_path, "second")
    text = (GOOD + dkim_key("good.test", good_key) + dkim_key("readable.test", readable)
            + dkim_key("garbage.test", garbage) + dkim_key("missing.test", tmp_path / "nope.key")
            + f'\n[tls]\ncert = "{first_cert}"\nkey = "{second_key}"\n')
    result, path = check(tmp_path, text)
    assert result.returncode == 2, result
    lines = result.stderr.splitlines()
    assert all(ERROR_LINE.match(line) for line in lines), lines
    # One line per problem, the good key in none of them.
    for name in ("readable.test", "garbage.test", "missing.test", "TLS key"):
        assert [l for l in lines if name in l], (name, lines)
    assert not [l for l in lines if "good.test" in l], lines
    assert len(lines) == 4, lines
    # serve refuses the same file with the same lines, before it takes any mail.
    serve = subprocess.run([HERALD_BIN, "serve", "--foreground", "--allow-root", "--config",
                            str(path)], capture_output=True, text=True, cwd=tmp_path, timeout=30)
    assert serve.returncode == 2 and serve.stderr.splitlines() == lines, serve


def test_a_matching_tls_pair_passes(tmp_path, herald_bin):
    cert, key = self_signed(tmp_path, "mail")
    result, _ = check(tmp_path, GOOD + f'\n[tls]\ncert = "{cert}"\nkey = "{key}"\n')
    assert result.returncode == 0, result.stderr
