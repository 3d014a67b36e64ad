"""DKIM signing at acceptance, checked by python3-dkim (an independent verifier): keys made
with `herald dkim keygen`, published by a real DNS server (unbound) for require_dns_match."""
import re
import subprocess
from pathlib import Path

import dkim
import pytest

from herald_fixture import LOCAL_USERS, HERALD_BIN, maildir_count, wait_for

LOCAL = "local.herald.test"
SIGNER = "signer.test"


def keygen(tmp_path, selector, domain=SIGNER, algorithm="rsa-sha256"):
    """(key path, the TXT record as zone-file data for unbound)."""
    out = tmp_path / "keys"
    out.mkdir(exist_ok=True)
    result = subprocess.run([HERALD_BIN, "dkim", "keygen", "--domain", domain, "--selector",
                             selector, "--algorithm", algorithm, "--out", str(out)],
                            capture_output=True, text=True, check=True)
    line = result.stdout.strip()
    name, strings = re.match(r'(\S+) IN TXT \( (.*) \)$', line).groups()
    return out / f"{domain}.{selector}.key", f"{name} IN TXT {strings}", strings


def txt_value(strings):
    return "".join(re.findall(r'"([^"]*)"', strings)).encode()


class Published:
    """What dkim.verify's dnsfunc answers: the records we published."""

    def __init__(self):
        self.records = {}

    def add(self, selector, domain, strings):
        self.records[f"{selector}._domainkey.{domain}."] = txt_value(strings)

    def __call__(self, name, timeout=5):
        return self.records.get(name.decode() if isinstance(name, bytes) else name)


def start(make_herald, dns, keys, **extra):
    return make_herald(relay={"networks": ["127.0.0.0/8"]}, dns={"servers": [dns]},
                       local={"recipients": LOCAL_USERS, "domains": [LOCAL], "mailbox": "maildir",
                              "path": "var/mail/{user}"},
                       **{"dkim.key": keys}, **extra)


def deliver(h, data, sender=f"alice@{SIGNER}", user="bob", smtputf8=False):
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        options = ["SMTPUTF8", "BODY=8BITMIME"] if smtputf8 else []
        s.sendmail(sender, [f"{user}@{LOCAL}"], data, mail_options=options)
    path = h.path(f"var/mail/{user}")
    count = len(list((path / "new").glob("*"))) if (path / "new").is_dir() else 0
    return path, count


def received(h, user="bob", count=1):
    path = h.path(f"var/mail/{user}")
    wait_for(lambda: maildir_count(path) >= count, what=f"{count} message(s) for {user}")
    files = sorted((path / "new").glob("*")) + sorted((path / "cur").glob("*"))
    return [f.read_bytes() for f in sorted(files, key=lambda f: f.stat().st_mtime_ns)]


def signatures(raw):
    return re.findall(rb"^DKIM-Signature:.*(?:\r?\n[ \t].*)*", raw, re.M)


BODIES = {
    "plain": b"Hello.\r\n",
    "trailing blank lines": b"Hello.\r\n\r\n\r\n\r\n",
    "no final line break": b"Hello, no line break at the end",
    "empty": b"",
    "8-bit": "Grüße aus Köln, ça va? 日本語\r\n".encode(),
}


def message(body, subject="test", extra=b""):
    return (f"From: Alice <alice@{SIGNER}>\r\nTo: bob@{LOCAL}\r\nSubject: {subject}\r\n"
            "Date: Thu, 1 Jan 2026 00:00:00 +0000\r\nMessage-ID: <m@signer.test>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n").encode() + \
        extra + b"\r\n" + body


def test_keygen_makes_the_out_directory_private_and_the_key_0600(tmp_path):
    """`dkim keygen --out keys` as the README's tour runs it on a fresh clone: the directory
    does not exist yet, and is made; it holds a secret, so only its owner may enter it."""
    out = tmp_path / "new" / "keys"
    result = subprocess.run([HERALD_BIN, "dkim", "keygen", "--domain", "example.com",
                             "--selector", "s1", "--out", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    key = out / "example.com.s1.key"
    assert (out.stat().st_mode & 0o777) == 0o700, oct(out.stat().st_mode)
    assert (key.stat().st_mode & 0o777) == 0o600, oct(key.stat().st_mode)
    assert "s1._domainkey.example.com. IN TXT" in result.stdout, result.stdout
    # Where a file stands in the way, it says so and exits 1.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = subprocess.run([HERALD_BIN, "dkim", "keygen", "--domain", "example.com",
                             "--selector", "s1", "--out", str(blocker / "keys")],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "cannot make" in result.stderr, result


@pytest.mark.parametrize("algorithm,canonicalization", [
    ("rsa-sha256", "relaxed/relaxed"), ("rsa-sha256", "simple/simple"),
    ("ed25519-sha256", "relaxed/relaxed"), ("ed25519-sha256", "simple/simple"),
    ("rsa-sha256", "relaxed/simple")])
def test_every_signed_message_verifies_with_dkimpy(make_herald, dns_zone, tmp_path, algorithm,
                                                   canonicalization):
    key, record, strings = keygen(tmp_path, "s1", algorithm=algorithm)
    dns = dns_zone([record])
    h = start(make_herald, dns, [{"domain": SIGNER, "selector": "s1", "private_key": str(key),
                                  "canonicalization": canonicalization}])
    published = Published()
    published.add("s1", SIGNER, strings)
    folded = b"X-Long: " + b" ".join([b"word"] * 40) + b"\r\n\tcontinued " + b"x" * 30 + b"\r\n"
    sent = 0
    for name, body in BODIES.items():
        deliver(h, message(body, subject=f"{name} {'é' * 3}" if name == "8-bit" else name,
                           extra=folded), smtputf8=(name == "8-bit"))
        sent += 1
    for raw in received(h, count=sent):
        [signature] = signatures(raw)
        unfolded = re.sub(rb"\s+", b"", signature)
        assert f"c={canonicalization};".encode() in unfolded, signature
        assert dkim.verify(raw, dnsfunc=published), raw[:400]


def test_dual_signing_and_over_signed_from(make_herald, dns_zone, tmp_path):
    rsa_key, rsa_record, rsa_strings = keygen(tmp_path, "r1")
    ed_key, ed_record, ed_strings = keygen(tmp_path, "e1", algorithm="ed25519-sha256")
    dns = dns_zone([rsa_record, ed_record])
    h = start(make_herald, dns, [
        {"domain": SIGNER, "selector": "r1", "private_key": str(rsa_key)},
        {"domain": SIGNER, "selector": "e1", "private_key": str(ed_key)}])
    published = Published()
    published.add("r1", SIGNER, rsa_strings)
    published.add("e1", SIGNER, ed_strings)
    deliver(h, message(b"Two signatures.\r\n"))
    [raw] = received(h)
    sigs = signatures(raw)
    assert len(sigs) == 2
    assert any(b"a=rsa-sha256" in s for s in sigs) and any(b"a=ed25519-sha256" in s for s in sigs)
    for index in range(2):
        assert dkim.DKIM(raw).verify(idx=index, dnsfunc=published), index
    unfolded = re.sub(rb"\r?\n[ \t]+", b" ", sigs[0])
    h_tag = re.search(rb"h=([^;]+)", unfolded).group(1).replace(b" ", b"").lower().split(b":")
    assert h_tag.count(b"from") == 2, h_tag


def test_default_key_signs_for_the_from_domain(make_herald, dns_zone, tmp_path):
    key, _, strings = keygen(tmp_path, "any", domain="placeholder.test")
    record = f'any._domainkey.{SIGNER}. IN TXT {strings}'
    dns = dns_zone([record])
    h = start(make_herald, dns, [{"domain": "*", "selector": "any", "private_key": str(key)}])
    published = Published()
    published.add("any", SIGNER, strings)
    deliver(h, message(b"Default key.\r\n"))
    [raw] = received(h)
    [signature] = signatures(raw)
    assert b"d=signer.test" in signature
    assert dkim.verify(raw, dnsfunc=published)


def test_a_key_missing_from_dns_or_different_is_not_used(make_herald, dns_zone, tmp_path):
    key, _, _ = keygen(tmp_path, "s1")
    _, other_record, _ = keygen(tmp_path, "s2")  # another key, published under s1's name
    other_record = other_record.replace("s2._domainkey", "s1._domainkey")
    dns = dns_zone([other_record, f'x.{SIGNER}. IN A 192.0.2.1'])
    h = start(make_herald, dns, [{"domain": SIGNER, "selector": "s1", "private_key": str(key)},
                                 {"domain": "elsewhere.test", "selector": "s1",
                                  "private_key": str(key)}])
    deliver(h, message(b"Unsigned.\r\n"))
    deliver(h, message(b"Unsigned too.\r\n").replace(b"alice@signer.test", b"al@elsewhere.test"),
            sender="al@elsewhere.test")
    for raw in received(h, count=2):
        assert signatures(raw) == []
    log = h.mainlog()
    assert "dkim: not signing for signer.test with s1._domainkey.signer.test" in log, log
    assert "not signing for elsewhere.test with s1._domainkey.elsewhere.test: no key published" in log


def test_sendmail_injection_is_signed(make_herald, dns_zone, tmp_path):
    key, record, strings = keygen(tmp_path, "s1")
    dns = dns_zone([record])
    h = start(make_herald, dns, [{"domain": SIGNER, "selector": "s1", "private_key": str(key)}])
    published = Published()
    published.add("s1", SIGNER, strings)
    result = h.cli("sendmail", "-f", f"cron@{SIGNER}", f"bob@{LOCAL}",
                   input="Subject: from cron\n\nnightly report\n")
    assert result.returncode == 0, result.stderr
    [raw] = received(h)
    assert len(signatures(raw)) == 1
    assert dkim.verify(raw, dnsfunc=published)
