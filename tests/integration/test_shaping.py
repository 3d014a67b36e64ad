"""Reply-driven traffic shaping per mailbox provider (issue 17): a provider's replies that say
"slow down" or "stop" ([[shaping_rule]]) reduce Herald's rate to it, cap its connections,
suspend it or bounce the recipient, per (source address, provider); a quiet period relaxes
the reaction again. A real DNS server (unbound) makes two loopback receivers the MX fleet of
the provider "bigmail" (mx1 for alpha.test and gamma.test, mx2 for beta.test); the
receivers throttle as the big providers do (receivers.SmtpReceiver's `throttle`: 421 4.7.28
above a rate, 421 4.3.2 above a connection cap, Yahoo's [TSS04] volume deferral), counting
per client IP, and Herald sends from 127.0.0.2."""
import json
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest

from herald_fixture import HERALD_BIN, delivery_config, free_port, message, send, transaction
from receivers import free_port_on

SOURCE = "127.0.0.2"
MX1, MX2, SENDER_MX = "127.0.0.10", "127.0.0.11", "127.0.0.12"
ZONE = [
    "alpha.test. MX 10 mx1.fleet.bigmail.test.",
    "beta.test. MX 10 mx2.fleet.bigmail.test.",
    "gamma.test. MX 10 mx1.fleet.bigmail.test.",
    "gamma.test. MX 20 mx2.fleet.bigmail.test.",
    "mx1.fleet.bigmail.test. A 127.0.0.10",
    "mx2.fleet.bigmail.test. A 127.0.0.11",
    # The senders' domain, not the provider's: bounces go there.
    "sender.test. MX 10 mx.sender.test.",
    "mx.sender.test. A 127.0.0.12",
]
BIGMAIL = {"name": "bigmail", "mx": ["*.fleet.bigmail.test"]}
# What Google answers a sender over its rate, as the throttling receiver does.
RATE_LIMITED = ("421 4.7.28 [127.0.0.2] Our system has detected an unusual rate of unsolicited "
                "mail originating from your IP address. To protect our users from spam, mail "
                "sent from your IP address has been temporarily rate limited.")
TOKEN = "shaping-admin-token-0123456789"
SHAPING = r"shaping: bigmail from 127\.0\.0\.2: "


def matched(name):
    """The end of a shaping line: the rule's name in single quotes."""
    return r"matched rule '" + re.escape(name) + r"'\)"


def rule(name, action, **keys):
    return {"name": name, "provider": "bigmail", **keys, "action": action}


def start(make_herald, dns_zone, provider=None, rules=(), shaping=None, **sections):
    """Herald delivering over MX from 127.0.0.2 with bigmail (`provider`: more keys of it) and
    `rules`; deferred mail is retried after a second. Returns (herald, the receivers' port)."""
    port = free_port_on([MX1, MX2, SENDER_MX])
    config = delivery_config(dns_zone(ZONE), port, retry=("1s",), mx={"source_address": SOURCE},
                             provider=[{**BIGMAIL, **(provider or {})}],
                             shaping_rule=list(rules), **sections)
    if shaping:
        config["shaping"] = shaping
    return make_herald(**config), port


def burst(h, recipient_lists):
    """One message per recipient list, over one SMTP session as fast as Herald takes them.
    Returns [(queue id, Message-ID)]."""
    sent = []
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        for n, recipients in enumerate(recipient_lists):
            data = message(sender="alice@sender.test", to=recipients[0], subject=f"burst {n}")
            message_id = re.search(r"^Message-ID: (\S+)", data, re.M).group(1)
            sent.append((transaction(s, "alice@sender.test", recipients, data), message_id))
    return sent


def wait_completed(h, ids, timeout=120):
    h.wait_for(lambda: all(h.completed(i) for i in ids), timeout=timeout,
               what=f"{len(ids)} messages Completed")


def assert_delivered_once(sent, *receivers):
    """Every message sent arrived, once: none lost, none duplicated."""
    arrived = Counter(mid for r in receivers for mid in r.message_ids())
    wanted = Counter(mid for _, mid in sent)
    assert arrived == wanted, (f"lost: {sorted(wanted - arrived)}, "
                               f"duplicated: {sorted(arrived - wanted)}")


def status(h):
    result = h.cli("shaping", "status", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def bigmail_sources(document):
    [bigmail] = [p for p in document["providers"] if p["name"] == "bigmail"]
    return {s["source"]: s for s in bigmail.get("sources", [])}


def source_status(h, source=SOURCE):
    """The status of (source, bigmail); None while there is no state for it."""
    return bigmail_sources(status(h)).get(source)


def api(port, path, method="GET", token=TOKEN):
    """(status, body) of the admin API; 4xx and 5xx are returned, not raised."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     data=b"" if method == "POST" else None)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# -- reduce_rate, and the recovery ------------------------------------------------------------

def test_a_throttling_fleet_slows_herald_down_and_every_message_arrives_once(
        make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone, provider={"max_messages_per_minute": 600},
                    rules=[rule("bigmail-rate", "reduce_rate", code=421,
                                enhanced_code="4.7.28", match="rate limited")],
                    shaping={"quiet_period": "3s"})
    # Each MX takes 3 messages in 4 seconds from one IP; Herald may send 10 a second.
    throttle = {"messages": 3, "window": 4}
    mx1 = smtp_receiver(MX1, port, throttle=throttle)
    mx2 = smtp_receiver(MX2, port, throttle=throttle)
    sent = burst(h, [[f"r{n}@{'alpha' if n % 2 == 0 else 'beta'}.test"] for n in range(12)])

    # The first 421 4.7.28 halves the configured rate, for the provider as a whole.
    reduced = h.wait_for_log(SHAPING + r'rate (\d+)/h -> (\d+)/h '
                             r'\(421 4\.7\.28 ' + matched("bigmail-rate"), timeout=60)
    assert (int(reduced.group(1)), int(reduced.group(2))) == (36000, 18000), reduced.group(0)
    sources = bigmail_sources(status(h))
    assert set(sources) == {SOURCE}, sources
    assert sources[SOURCE]["rate_per_hour"] < 36000, sources
    assert sources[SOURCE]["last_rule"] == "bigmail-rate", sources

    wait_completed(h, [i for i, _ in sent])
    assert_delivered_once(sent, mx1, mx2)
    for queue_id, _ in sent:
        assert len(h.events(queue_id, "=>")) == 1, h.events(queue_id)
    # The fleet throttled Herald's source address, and Herald kept one state for the
    # provider, not one a domain (a domain's mail may also take a connection parked at the
    # other MX host: the provider's hosts are one fleet).
    assert mx1.throttled("rate") + mx2.throttled("rate")
    assert all(e["peer"] == SOURCE for e in mx1.throttled() + mx2.throttled())
    assert not re.search(r"shaping: (alpha|beta)\.test", h.mainlog())

    # Quiet: the rate is raised step by step (status polls let the shaper look at the clock).
    def raised():
        source_status(h)
        return re.search(SHAPING + r"rate (\d+)/h -> (\d+)/h \(quiet for [^)]*\)", h.mainlog())
    line = h.wait_for(raised, timeout=60, what="a recovery step")
    assert int(line.group(2)) > int(line.group(1)), line.group(0)


# -- bounce -----------------------------------------------------------------------------------

def test_a_bounce_rule_fails_the_recipient_at_once(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone,
                    rules=[rule("bigmail-never", "bounce", match="Retrying will NOT succeed")])
    never = ("451 4.7.1 [TSS09] All messages from 127.0.0.2 will be permanently deferred; "
             "Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes")
    mx1 = smtp_receiver(MX1, port, replies={"gone@alpha.test": [never, 250]})
    senders_mx = smtp_receiver(SENDER_MX, port)
    msg_id = send(h, "alice@sender.test", ["gone@alpha.test", "kept@alpha.test"])
    h.wait_for(lambda: h.completed(msg_id), what="Completed")
    [failed] = h.events(msg_id, "**")
    assert "gone@alpha.test" in failed and "451 4.7.1" in failed, failed
    assert not h.events(msg_id, "=="), "deferred, not bounced"
    h.wait_for_log(SHAPING + r'.*\(451 4\.7\.1 ' + matched("bigmail-never"))
    # Asked once (a retry would have been accepted), and the other recipient got it.
    assert mx1.rcpt_attempts("gone@alpha.test") == [451]
    assert len(mx1.delivered_to("kept@alpha.test")) == 1
    [bounce] = h.wait_for(lambda: senders_mx.messages(), what="the DSN at sender.test")
    assert bounce.mail_from in ("", "<>") and bounce.rcpt_tos == ["alice@sender.test"], bounce
    assert b"gone@alpha.test" in bounce.data


# -- suspend and reset ------------------------------------------------------------------------

def test_a_suspension_stops_all_connections_until_reset(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone,
                    rules=[rule("bigmail-tss04", "suspend", match=r"\[TSS04\]", duration="1h")])
    # Like Yahoo: after one message, [TSS04] for two seconds.
    mx1 = smtp_receiver(MX1, port, throttle={"volume_after": 1, "volume_for": 2})
    mx2 = smtp_receiver(MX2, port)
    first = send(h, "alice@sender.test", ["a1@alpha.test"])
    h.wait_for(lambda: h.completed(first), what="the first message Completed")
    second = send(h, "alice@sender.test", ["a2@alpha.test"])
    h.wait_for_log(SHAPING + r'suspended until \S+ \(421 4\.7\.0 ' + matched("bigmail-tss04"))
    assert len(mx1.throttled("volume")) == 1
    suspended = source_status(h)
    assert suspended["suspended_until"], suspended
    assert suspended["last_rule"] == "bigmail-tss04", suspended

    # Nothing goes to the provider: not the deferred message, not new mail to another of its
    # domains, though the receivers would take it now and the retry interval is a second.
    connections = (mx1.connections(), mx2.connections())
    third = send(h, "alice@sender.test", ["b1@beta.test"])
    time.sleep(7)
    assert (mx1.connections(), mx2.connections()) == connections, "a connection while suspended"
    assert not h.completed(second) and not h.completed(third)
    assert source_status(h)["suspended_until"]

    result = h.cli("shaping", "reset", "bigmail")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().strip() == "ok reset bigmail", result.stdout
    assert source_status(h)["suspended_until"] is None

    # Mail flows again: new mail, and what the suspension held.
    fourth = send(h, "alice@sender.test", ["b2@beta.test"])
    h.wait_for(lambda: h.completed(fourth), timeout=60, what="new mail after the reset")
    h.wait_for(lambda: h.completed(second) and h.completed(third), timeout=60,
               what="the mail held by the suspension, released by the reset")
    delivered = sorted(r for mx in (mx1, mx2) for m in mx.messages() for r in m.rcpt_tos)
    assert delivered == ["a1@alpha.test", "a2@alpha.test", "b1@beta.test", "b2@beta.test"]

    unknown = h.cli("shaping", "reset", "nosuch")
    assert unknown.returncode == 2, unknown
    assert "nosuch" in unknown.stderr.decode(), unknown.stderr


def test_a_reset_releases_the_mail_the_suspension_held(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone,
                    rules=[rule("bigmail-tss04", "suspend", match=r"\[TSS04\]", duration="1h")])
    # [TSS04] to the first message, for a second.
    mx1 = smtp_receiver(MX1, port, throttle={"volume_after": 0, "volume_for": 1})
    held = send(h, "alice@sender.test", ["a@alpha.test"])
    h.wait_for_log(SHAPING + r"suspended until ")
    held_too = send(h, "alice@sender.test", ["a2@alpha.test"])
    time.sleep(2)  # the receiver's deferral is over; Herald's lasts an hour
    assert h.cli("shaping", "reset", "bigmail").returncode == 0
    # The operator lifted the suspension: the mail it held goes now, not in an hour.
    h.wait_for(lambda: h.completed(held) and h.completed(held_too), timeout=60,
               what="the held mail delivered after `herald shaping reset` (no queue flush)")
    assert len(mx1.delivered_to("a@alpha.test")) == 1
    assert len(mx1.delivered_to("a2@alpha.test")) == 1


# -- cap_connections --------------------------------------------------------------------------

def test_a_connection_cap_rule_lowers_the_connections_to_the_provider(make_herald, dns_zone,
                                                                      smtp_receiver):
    h, port = start(make_herald, dns_zone, provider={"max_connections": 4},
                    rules=[rule("bigmail-connections", "cap_connections", code=421,
                                match="maximum number of concurrent connections",
                                connections=1)])
    # Two connections at a time from one IP; a slow end of DATA keeps them open.
    mx1 = smtp_receiver(MX1, port, throttle={"connections": 2}, data_delay=0.5)
    sent = burst(h, [[f"r{n}@alpha.test"] for n in range(8)])
    h.wait_for_log(SHAPING + r'connections 4 -> 1 '
                   r'\(421 4\.3\.2 ' + matched("bigmail-connections"), timeout=60)
    after_rule = time.time()
    assert mx1.events("refused"), "the receiver's cap was never reached"
    capped = source_status(h)
    assert capped["max_connections"] == 1 and capped["last_rule"] == "bigmail-connections", \
        capped

    wait_completed(h, [i for i, _ in sent])
    assert_delivered_once(sent, mx1)
    # Once the connections open when the cap came are down to one (each may still carry the
    # transaction it was starting), one connection at a time (a connection that said QUIT is
    # over); the one left may carry all the rest, handed from delivery to delivery.
    capped_at = mx1.open_at_most_from(1, after_rule)
    assert mx1.max_concurrent_transactions_since(capped_at) == 1
    assert mx1.max_concurrent_connections_since(capped_at) <= 1
    assert not [e for e in mx1.events("refused") if e["t"] >= capped_at]


# -- max_recipients_per_message ---------------------------------------------------------------

def test_max_recipients_per_message_splits_the_transaction(make_herald, dns_zone,
                                                           smtp_receiver):
    h, port = start(make_herald, dns_zone, provider={"max_recipients_per_message": 2})
    mx1 = smtp_receiver(MX1, port)
    mx2 = smtp_receiver(MX2, port)
    recipients = ["a@alpha.test", "b@alpha.test", "c@alpha.test", "d@gamma.test", "e@gamma.test"]
    msg_id = send(h, "alice@sender.test", recipients)
    h.wait_for(lambda: h.completed(msg_id), what="Completed")
    transactions = [m.rcpt_tos for m in mx1.messages() + mx2.messages()]
    assert len(transactions) == 3, transactions
    assert all(len(t) <= 2 for t in transactions), transactions
    assert sorted(r for t in transactions for r in t) == recipients, transactions
    assert len(h.events(msg_id, "=>")) == 5, h.events(msg_id)


# -- state across a restart -------------------------------------------------------------------

def test_a_reduced_rate_survives_a_restart(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone, provider={"max_messages_per_minute": 60},
                    rules=[rule("bigmail-rate", "reduce_rate", code=421,
                                enhanced_code="4.7.28")])
    mx1 = smtp_receiver(MX1, port, replies={"*": [RATE_LIMITED, 250]})
    msg_id = send(h, "alice@sender.test", ["a@alpha.test"])
    h.wait_for_log(SHAPING + r'rate 3600/h -> 1800/h \(421 4\.7\.28 ' + matched("bigmail-rate"))
    assert source_status(h)["rate_per_hour"] == 1800

    assert h.stop() == 0
    assert (h.spool_dir / "shaping.json").exists()
    h.start()
    restored = source_status(h)
    assert restored is not None, status(h)
    assert restored["rate_per_hour"] == 1800, restored
    assert restored["last_rule"] == "bigmail-rate", restored
    h.wait_for(lambda: h.completed(msg_id), timeout=60, what="Completed after the restart")
    assert len(mx1.delivered_to("a@alpha.test")) == 1


# -- the admin API ----------------------------------------------------------------------------

def test_the_admin_api_shows_and_resets_the_shaping_state(make_herald, dns_zone, smtp_receiver):
    admin_port = free_port()
    h, port = start(make_herald, dns_zone, provider={"max_messages_per_minute": 60},
                    rules=[rule("bigmail-rate", "reduce_rate", code=421,
                                enhanced_code="4.7.28")],
                    admin={"http": f"127.0.0.1:{admin_port}", "token": TOKEN})
    smtp_receiver(MX1, port, replies={"*": [RATE_LIMITED, 250]})
    send(h, "alice@sender.test", ["a@alpha.test"])
    h.wait_for_log(SHAPING + r'rate 3600/h -> 1800/h')

    code, body = api(admin_port, "/api/shaping")
    assert code == 200, body
    from_api = json.loads(body)
    from_cli = status(h)
    assert [p["name"] for p in from_api["providers"]] == \
        [p["name"] for p in from_cli["providers"]]
    keys = ("source", "rate_per_hour", "max_connections", "suspended_until", "last_rule")
    assert {s: [v[k] for k in keys] for s, v in bigmail_sources(from_api).items()} == \
        {s: [v[k] for k in keys] for s, v in bigmail_sources(from_cli).items()}
    assert bigmail_sources(from_api)[SOURCE]["rate_per_hour"] == 1800

    code, metrics = api(admin_port, "/metrics")
    metrics = metrics.decode()
    assert code == 200, metrics
    labels = f'provider="bigmail",source="{SOURCE}"'
    assert f'herald_shaping_actions_total{{{labels},action="reduce_rate"}} 1\n' in metrics, metrics
    assert f"herald_shaping_rate_per_hour{{{labels}}} 1800\n" in metrics, metrics
    assert 'herald_shaping_rule_matches_total{provider="bigmail",rule="bigmail-rate"}' in metrics

    assert api(admin_port, "/api/shaping/nosuch/reset", "POST")[0] == 404
    assert api(admin_port, "/api/shaping", token=None)[0] == 401
    assert api(admin_port, "/api/shaping", token=TOKEN + "x")[0] == 401
    assert api(admin_port, "/api/shaping/bigmail/reset", "POST", token=None)[0] == 401
    code, body = api(admin_port, "/api/shaping/bigmail/reset", "POST")
    assert code == 200, body
    # Back to the configured rate.
    assert source_status(h)["rate_per_hour"] == 3600, status(h)


# -- check-config -----------------------------------------------------------------------------

CONFIG = """\
[server]
hostname = "mail.herald.test"
spool_dir = "var/spool"
log_dir = "var/log"

[[listener]]
address = "127.0.0.1:2525"
mode = "relay"

[[transport]]
name = "discard"
type = "null"

[[route]]
sender = "*"
transport = "discard"

[[provider]]
name = "bigmail"
mx = ["*.fleet.bigmail.test"]
max_messages_per_minute = 1200
max_recipients_per_message = 50

[[shaping_rule]]
name = "bigmail-rate"
provider = "bigmail"
code = 421
enhanced_code = "4.7.28"
match = "rate limit"
action = "reduce_rate"
factor = 0.5

[shaping]
quiet_period = "5m"
recovery_step = 0.1
"""
ERROR_LINE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): (?P<what>\S.*)$")


def check_config(tmp_path, text):
    path = tmp_path / "herald.toml"
    path.write_text(text)
    return subprocess.run([HERALD_BIN, "check-config", "--config", str(path)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=30)


def line_of(text, start):
    [n] = [i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start)]
    return n


def test_a_good_shaping_config_passes(tmp_path, herald_bin):
    result = check_config(tmp_path, CONFIG)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


# (the key's line, replaced by this, a word the message should contain)
BAD_RULES = {
    "regex": ("match = ", 'match = "(unclosed"', "match"),
    "factor-zero": ("factor = ", "factor = 0", "factor"),
    "factor-above-one": ("factor = ", "factor = 1.5", "factor"),
    "unknown-provider": ('provider = "bigmail"', 'provider = "nosuch"', "nosuch"),
    "unknown-action": ("action = ", 'action = "explode"', "explode|action"),
}


@pytest.mark.parametrize("case", list(BAD_RULES))
def test_a_bad_shaping_rule_is_an_error_with_its_line(tmp_path, herald_bin, case):
    start_of_line, new, word = BAD_RULES[case]
    line = line_of(CONFIG, start_of_line)
    lines = CONFIG.splitlines()
    lines[line - 1] = new
    result = check_config(tmp_path, "\n".join(lines) + "\n")
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    errors = [l for l in result.stderr.splitlines() if l.strip()]
    assert errors, "no error printed"
    for error in errors:
        m = ERROR_LINE.match(error)
        assert m and m.group("file").endswith("herald.toml"), f"not 'file:line: what': {error!r}"
    first = ERROR_LINE.match(errors[0])
    assert int(first.group("line")) == line, f"expected line {line}: {errors}"
    assert re.search(word, first.group("what"), re.I), errors
