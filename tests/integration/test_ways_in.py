"""The same policies through every way in (SMTP, herald sendmail, the HTTP API): each refuses
what the others refuse, as its protocol says it (accept/acceptance.hpp is the one place that
decides). Written once, parametrised by the way in."""
import hashlib
import secrets
import smtplib
import subprocess

import pytest
import requests

from herald_fixture import (LOCAL_USERS, free_port, insecure_tls, maildir_count, openssl_passwd,
                            wait_for)
from test_full_disk import fill, small_tmpfs

SIGNER = "signer.test"
LOCAL = "local.herald.test"
PASSWORD = "correct horse battery"
TOKEN = secrets.token_hex(32)


def herald_for_every_way(make_herald, **sections):
    port = free_port()
    base = dict(
        listeners=("submission",),
        relay={"networks": []},
        local={"recipients": LOCAL_USERS, "domains": [LOCAL], "mailbox": "maildir",
               "path": "var/mail/{user}"},
        user=[{"name": "alice", "password_hash": openssl_passwd(PASSWORD),
               "sender_domains": [SIGNER]}],
        api_key=[{"name": "app", "key_sha256": hashlib.sha256(TOKEN.encode()).hexdigest(),
                  "sender_domains": [SIGNER]}],
        admin={"http": f"127.0.0.1:{port}"})
    base.update(sections)
    h = make_herald(**base)
    h.api_url = f"http://127.0.0.1:{port}/api/v1/messages"
    return h


def text(sender, recipient, from_header, body="the same message every way\r\n"):
    return f"From: <{from_header}>\r\nTo: <{recipient}>\r\nSubject: ways in\r\n\r\n{body}"


# Each returns "queued", "refused" (for good: 5xx, exit 64/65, 4xx but 429) or "try_later"
# (4xx, exit 75, 429/503).
def by_smtp(h, sender, recipient, from_header, **body):
    try:
        with smtplib.SMTP("127.0.0.1", h.port("submission"), timeout=30) as s:
            s.starttls(context=insecure_tls())
            s.login("alice", PASSWORD)
            s.sendmail(sender, [recipient], text(sender, recipient, from_header, **body))
        return "queued"
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as e:
        return "try_later" if 400 <= e.smtp_code < 500 else "refused"
    except smtplib.SMTPRecipientsRefused as e:
        [(code, _)] = e.recipients.values()
        return "try_later" if 400 <= code < 500 else "refused"


def by_sendmail(h, sender, recipient, from_header, **body):
    result = h.cli("sendmail", "-f", sender, recipient,
                   input=text(sender, recipient, from_header, **body).replace("\r\n", "\n"))
    assert result.returncode in (0, 64, 65, 75), result
    if result.returncode != 0:
        assert result.stderr.strip(), "a refusal says why"
    return {0: "queued", 64: "refused", 65: "refused", 75: "try_later"}[result.returncode]


def by_api(h, sender, recipient, from_header, **body):
    r = requests.post(h.api_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30,
                      json={"from": sender, "to": [recipient],
                            "raw": text(sender, recipient, from_header, **body)})
    if r.status_code == 202:
        return "queued"
    assert r.json()["code"] and r.json()["message"], r.text
    return "try_later" if r.status_code in (429, 503) else "refused"


WAYS = {"smtp": by_smtp, "sendmail": by_sendmail, "api": by_api}


def arrivals(h):
    return [line for line in h.mainlog().splitlines() if " <= " in line]


@pytest.mark.parametrize("way", WAYS)
def test_a_rejected_sender_is_refused(make_herald, way):
    h = herald_for_every_way(make_herald, reject={"senders": [f"blocked@{SIGNER}"]})
    send = WAYS[way]
    assert send(h, f"blocked@{SIGNER}", f"bob@{LOCAL}", f"blocked@{SIGNER}") == "refused"
    assert arrivals(h) == []
    assert send(h, f"fine@{SIGNER}", f"bob@{LOCAL}", f"fine@{SIGNER}") == "queued"


@pytest.mark.parametrize("way", WAYS)
def test_a_rate_limit_says_try_later(make_herald, way):
    h = herald_for_every_way(make_herald,
                             rate_limit=[{"match": "sender", "limit": "1/hour"}])
    send = WAYS[way]
    # Relayed mail counts (local deliveries never do); it waits in the queue, undeliverable.
    assert send(h, f"app@{SIGNER}", "someone@example.net", f"app@{SIGNER}") == "queued"
    assert send(h, f"app@{SIGNER}", "someone@example.net", f"app@{SIGNER}") == "try_later"
    assert len(arrivals(h)) == 1


# A local user of sendmail is signed for whatever it writes in From: (signing_decision.hpp):
# only the ways in with a client's credentials can be refused a signature.
@pytest.mark.parametrize("way", ["smtp", "api"])
def test_a_from_domain_the_client_does_not_own_is_refused(make_herald, way):
    h = herald_for_every_way(make_herald)
    assert WAYS[way](h, f"app@{SIGNER}", f"bob@{LOCAL}", "ceo@bank.example") == "refused"
    assert arrivals(h) == []


@pytest.mark.parametrize("way", WAYS)
def test_a_full_spool_disk_says_try_later(make_herald, tmp_path, way):
    with small_tmpfs(tmp_path / "var" / "spool", "2m") as spool:
        # The default reserve (spool/free_space.hpp) is more than this little disk holds.
        h = herald_for_every_way(make_herald, limits={"spool_reserve": "64k"})
        filler = fill(spool)
        try:
            assert WAYS[way](h, f"app@{SIGNER}", f"bob@{LOCAL}", f"app@{SIGNER}") == "try_later"
            assert arrivals(h) == []
        finally:
            filler.unlink()
        assert WAYS[way](h, f"app@{SIGNER}", f"bob@{LOCAL}", f"app@{SIGNER}") == "queued"
        h.stop()


@pytest.mark.parametrize("way", WAYS)
def test_a_text_larger_than_memory_keeps_arrives_whole(make_herald, way):
    # Beyond 64 KiB (spool::kTextKeptInMemory) a text goes to a file of the spool as it comes;
    # below, it stays in memory: both kinds reach the mailbox unchanged.
    h = herald_for_every_way(make_herald)
    small = "a short one\r\n"
    large = "".join(f"line {i:05d} {'z' * 64}\r\n" for i in range(2000))  # 150 KB
    for body in (small, large):
        assert WAYS[way](h, f"app@{SIGNER}", f"bob@{LOCAL}", f"app@{SIGNER}",
                         body=body) == "queued"
    path = h.path("var/mail/bob")
    wait_for(lambda: maildir_count(path) == 2, what="both messages in bob's maildir")
    # A maildir keeps LF line endings.
    texts = [f.read_bytes() for d in ("new", "cur") for f in (path / d).glob("*")]
    for body in (small, large):
        assert sum(body.replace("\r\n", "\n").encode() in t for t in texts) == 1, way
