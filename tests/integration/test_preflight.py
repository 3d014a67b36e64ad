"""Alignment preflight: each relayed message's SPF, DKIM and DMARC outcome in the mainlog,
and in reject mode a message that would fail DMARC at a p=reject domain refused with 550."""
import re
import socket
import subprocess

from herald_fixture import LOCAL_USERS, HERALD_BIN, message, wait_for

DOMAIN = "brand.test"
ZONE = [f'{DOMAIN}. IN TXT "v=spf1 ip4:192.0.2.10 -all"',
        f'_dmarc.{DOMAIN}. IN TXT "v=DMARC1; p=reject"',
        f'{DOMAIN}. IN A 192.0.2.10']


def start(make_herald, dns, preflight, **extra):
    return make_herald(relay={"networks": ["127.0.0.0/8"]}, dns={"servers": [dns]},
                       preflight=preflight, **extra)


def relay(h, sender=f"news@{DOMAIN}"):
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        assert s.mail(sender)[0] == 250
        assert s.rcpt("reader@example.net")[0] == 250
        return s.data(message(sender=sender, to="reader@example.net"))


def preflight_lines(h):
    return [l for l in h.mainlog().splitlines() if " preflight " in l]


def test_log_mode_records_a_failing_verdict_and_still_accepts(make_herald, dns_zone):
    h = start(make_herald, dns_zone(ZONE), {"mode": "log", "ip": "192.0.2.99"})
    code, _ = relay(h)
    assert code == 250
    [line] = wait_for(lambda: preflight_lines(h), what="the preflight line")
    assert "dmarc=fail spf=fail dkim=none policy=reject" in line, line


def test_a_covered_ip_passes(make_herald, dns_zone):
    h = start(make_herald, dns_zone(ZONE), {"mode": "reject", "ip": "192.0.2.10"})
    code, _ = relay(h)
    assert code == 250
    [line] = wait_for(lambda: preflight_lines(h), what="the preflight line")
    assert "dmarc=pass spf=pass" in line, line


def test_reject_mode_refuses_what_would_fail_dmarc_and_says_what_to_fix(make_herald, dns_zone):
    h = start(make_herald, dns_zone(ZONE), {"mode": "reject", "ip": "192.0.2.99"})
    code, text = relay(h)
    assert code == 550 and text.startswith(b"5.7.1"), (code, text)
    assert b"would fail DMARC at brand.test (p=reject)" in text, text
    assert b"192.0.2.99" in text, text
    line = wait_for(lambda: [l for l in h.rejectlog().splitlines() if "DMARC" in l],
                    what="the refusal in the rejectlog")[0]
    assert "550" in line


def test_a_reload_turns_reject_mode_on(make_herald, dns_zone):
    h = start(make_herald, dns_zone(ZONE), {"mode": "off", "ip": "192.0.2.99"})
    assert relay(h)[0] == 250
    assert preflight_lines(h) == []
    h.config["preflight"] = {"mode": "reject", "ip": "192.0.2.99"}
    h.write_config()
    assert h.cli("reload").returncode == 0
    code, text = relay(h)
    assert code == 550 and b"would fail DMARC at brand.test (p=reject)" in text, (code, text)


def test_an_aligned_dkim_signature_passes_whatever_the_ip(make_herald, dns_zone, tmp_path):
    out = tmp_path / "keys"
    out.mkdir()
    made = subprocess.run([HERALD_BIN, "dkim", "keygen", "--domain", DOMAIN, "--selector", "s1",
                           "--algorithm", "ed25519-sha256", "--out", str(out)],
                          capture_output=True, text=True, check=True).stdout
    name, strings = re.match(r'(\S+) IN TXT \( (.*) \)$', made.strip()).groups()
    dns = dns_zone(ZONE + [f"{name} IN TXT {strings}"])
    h = start(make_herald, dns, {"mode": "reject", "ip": "192.0.2.99"},
              **{"dkim.key": [{"domain": DOMAIN, "selector": "s1",
                               "private_key": str(out / f"{DOMAIN}.s1.key")}]})
    code, _ = relay(h)
    assert code == 250
    [line] = wait_for(lambda: preflight_lines(h), what="the preflight line")
    assert "dmarc=pass spf=fail dkim=brand.test" in line, line


def test_local_mail_is_not_checked(make_herald, dns_zone):
    h = start(make_herald, dns_zone(ZONE), {"mode": "reject", "ip": "192.0.2.99"},
              local={"recipients": LOCAL_USERS, "domains": ["local.herald.test"]})
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        s.mail(f"news@{DOMAIN}")
        s.rcpt("bob@local.herald.test")
        assert s.data(message(sender=f"news@{DOMAIN}", to="bob@local.herald.test"))[0] == 250
    assert preflight_lines(h) == []


def test_a_dns_that_does_not_answer_holds_only_max_pending_checks(make_herald):
    # A resolver that takes every query and answers none: each log-mode check waits for the
    # resolver's timeout, holding its place; the messages beyond the limit go unchecked.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        h = make_herald(relay={"networks": ["127.0.0.0/8"], "allow_unknown_sender_domains": True},
                        dns={"servers": [f"127.0.0.1:{silent.getsockname()[1]}"],
                             "max_pending_checks": 2},
                        preflight={"mode": "log", "ip": "192.0.2.99"})
        for _ in range(5):
            assert relay(h)[0] == 250  # unchecked or not, every message is taken

        def notes():
            return [l for l in h.mainlog().splitlines() if " log-mode checks: " in l]
        [started] = h.wait_for(notes, what="the note that checks are skipped")
        assert "2 wait on DNS ([dns] max_pending_checks)" in started, started
        assert preflight_lines(h) == []  # the first two still wait
        # When the first check gives up on DNS, its place is free again, and the count told.
        ended = h.wait_for(lambda: notes()[1:], timeout=90, what="the note of the count")
        assert "taken again; 3 messages went unchecked" in ended[0], ended
