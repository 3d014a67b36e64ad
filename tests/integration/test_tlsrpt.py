"""SMTP TLS Reporting (RFC 8460, issue 22): Herald counts what TLS came to on each connection
to a domain's MX hosts, under the policy it was under (DANE from a signed zone served by NSD,
MTA-STS from a real HTTPS server), and sends the domain a report: by mail through its own
queue to a real receiver (aiosmtpd), or by HTTPS POST to a real server. An attacker who strips
STARTTLS or shows the wrong certificate gets nothing, and the report counts the failure; mail
under `testing` goes through, and the report says what enforce would have refused."""
import gzip
import http.server
import json
import re
import threading

import pytest

from event_support import metric_sum, scrape
from herald_fixture import free_port, send, wait_for
from receivers import free_port_on
from test_dane import SECURE, dane, dane_ee  # noqa: F401 (the fixture)
from test_mta_sts import (DOMAIN, MX_HOST, HttpsServer, issue, loopback_address,  # noqa: F401
                          policy, sts)

RUA = "tlsrpt@sender.test"
BY_MAIL = f'"v=TLSRPTv1; rua=mailto:{RUA}"'
ENABLED = {"tlsrpt": {"enabled": True, "organization": "Herald Test"}}
ADMIN_TOKEN = "tlsrpt-admin-token-0123456789"


def shown(h):
    """`herald tlsrpt show --json`: {domain: entry}."""
    result = h.cli("tlsrpt", "show", "--json")
    assert result.returncode == 0, result.stderr
    return {entry["domain"]: entry for entry in json.loads(result.stdout)["reports"]}


def only_policy(entry):
    [policy_entry] = entry["report"]["policies"]
    return policy_entry


def failures(policy_entry):
    summary = policy_entry["summary"]
    return (summary["total-successful-session-count"], summary["total-failure-session-count"],
            [detail["result-type"] for detail in policy_entry.get("failure-details", [])])


def send_reports(h):
    result = h.cli("tlsrpt", "send")
    assert result.returncode == 0, result.stderr
    return result.stdout.decode()


def mailed_report(receiver):
    """The report mail that reached RUA, and its report (gunzipped JSON)."""
    wait_for(lambda: receiver.delivered_to(RUA), what="the report mail", timeout=60)
    [mail] = [m for m in receiver.messages() if RUA in m.rcpt_tos]
    parsed = mail.parsed()
    assert parsed.get_content_type() == "multipart/report", parsed
    assert parsed.get_param("report-type") == "tlsrpt"
    [attachment] = [part for part in parsed.iter_attachments()
                    if part.get_content_type() == "application/tlsrpt+gzip"]
    return parsed, json.loads(gzip.decompress(attachment.get_content()))


@pytest.mark.parametrize("receiver_tls,result_type", [
    (None, "starttls-not-supported"),
    ("wrong-name", "validation-failure"),
])
def test_a_dane_failure_is_counted_and_mailed_to_the_domain(dane, receiver_tls, result_type):
    h, receiver = dane(dane_ee, receiver_tls=receiver_tls, zone=[f"_smtp._tls TXT {BY_MAIL}"],
                       **ENABLED)
    msg_id = send(h, "alice@sender.test", [f"bob@{SECURE}"])
    h.wait_for_log(rf" {msg_id} == <?bob@{SECURE}>? .* P=dane ", timeout=60)
    assert not receiver.messages(), "the attacker got the message"

    entry = shown(h)[SECURE]
    assert entry["to"] == [f"mailto:{RUA}"]
    policy_entry = only_policy(entry)
    assert policy_entry["policy"]["policy-type"] == "tlsa"
    assert policy_entry["policy"]["mx-host"] == [f"mx.{SECURE}"]
    [record] = policy_entry["policy"]["policy-string"]
    assert re.fullmatch(r"3 1 1 [0-9a-f]{64}", record), record
    assert failures(policy_entry) == (0, 1, [result_type])
    [detail] = policy_entry["failure-details"]
    assert detail["receiving-mx-hostname"] == f"mx.{SECURE}"
    assert detail["receiving-ip"] == receiver.host
    assert detail["sending-mta-ip"].startswith("127.")

    outcome = send_reports(h)
    assert f"{SECURE}; sent to mailto:{RUA} (queued as " in outcome, outcome
    mail, report = mailed_report(receiver)
    assert mail["TLS-Report-Domain"] == SECURE
    assert mail["TLS-Report-Submitter"] == h.config["server"]["hostname"]
    assert report["organization-name"] == "Herald Test"
    assert report["policies"] == entry["report"]["policies"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", report["date-range"]["start-datetime"])
    # Sent once: the period those counts were in is over.
    assert SECURE not in shown(h)


def test_testing_mode_delivers_and_reports_what_enforce_would_refuse(sts):
    h, receiver, _ = sts(mode="testing", receiver_tls="wrong-name",
                         zone=[f"_smtp._tls.{DOMAIN}. TXT {BY_MAIL}"], **ENABLED)
    msg_id = send(h, "alice@sender.test", [f"bob@{DOMAIN}"])
    h.wait_for_log(rf" {msg_id} => <?bob@{DOMAIN}>? .* P=sts-testing ", timeout=60)
    assert receiver.delivered_to(f"bob@{DOMAIN}")
    policy_entry = only_policy(shown(h)[DOMAIN])
    assert policy_entry["policy"]["policy-type"] == "sts"
    assert policy_entry["policy"]["policy-string"] == policy("testing").split("\r\n")[:-1]
    assert policy_entry["policy"]["mx-host"] == [MX_HOST]
    assert failures(policy_entry) == (0, 1, ["certificate-host-mismatch"])


@pytest.mark.parametrize("receiver_tls,result_type", [
    (None, "starttls-not-supported"),
    ("self-signed", "certificate-not-trusted"),
])
def test_an_enforce_failure_is_counted(sts, receiver_tls, result_type):
    h, receiver, _ = sts(receiver_tls=receiver_tls, zone=[f"_smtp._tls.{DOMAIN}. TXT {BY_MAIL}"],
                         **ENABLED)
    msg_id = send(h, "alice@sender.test", [f"bob@{DOMAIN}"])
    h.wait_for_log(rf" {msg_id} == <?bob@{DOMAIN}>? .* P=sts ", timeout=60)
    assert not receiver.messages()
    assert failures(only_policy(shown(h)[DOMAIN])) == (0, 1, [result_type])


@pytest.mark.parametrize("body,status,result_type", [
    ("version: STSv1\r\nmode: sometimes\r\n", 200, "sts-policy-invalid"),
    (None, 404, "sts-policy-fetch-error"),
])
def test_a_policy_that_cannot_be_had_is_reported(sts, body, status, result_type):
    h, receiver, _ = sts(body=body, status=status, zone=[f"_smtp._tls.{DOMAIN}. TXT {BY_MAIL}"],
                         **ENABLED)
    msg_id = send(h, "alice@sender.test", [f"bob@{DOMAIN}"])
    # No policy to apply: the mail goes as it would without one (RFC 8461 5).
    h.wait_for_log(rf" {msg_id} => <?bob@{DOMAIN}>? .* P=opportunistic ", timeout=60)
    policy_entry = only_policy(shown(h)[DOMAIN])
    assert policy_entry["policy"]["policy-type"] == "sts"
    assert failures(policy_entry) == (0, 1, [result_type])


class ReportCollector(HttpsServer):
    """HTTPS on ip:port taking POSTs: each (path, content type, body); the first `refusals`
    answered 503. With `hold` (a threading.Event), the others are answered once it is set."""

    def __init__(self, ip, port, cert, key, refusals=0, hold=None):
        self.posts = []
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the http.server name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                collector.posts.append((self.path, self.headers["Content-Type"], body))
                refused = len(collector.posts) <= refusals
                if hold and not refused:
                    hold.wait(timeout=30)
                self.send_response(503 if refused else 201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(ip, port, cert, key, Handler)


def with_https_rua(sts, tmp_path, collecting=None, **settings):
    """Herald under the sts fixture (with `settings`), DOMAIN's TLSRPT record naming an
    https:// collector on a loopback address: (herald, the ReportCollector made with
    `collecting`, the rua). The caller stops the collector."""
    ip = loopback_address()
    port = free_port_on([ip])
    rua = f"https://reports.sender.test:{port}/v1/tlsrpt"
    h, _, _ = sts(zone=[f"reports.sender.test. A {ip}",
                        f'_smtp._tls.{DOMAIN}. TXT "v=TLSRPTv1; rua={rua}"'],
                  tlsrpt={"enabled": True, "ca_file": str(tmp_path / "ca" / "ca.pem")},
                  **settings)
    # The sts fixture made the CA in tmp_path/ca: the collector's certificate comes from it.
    server = ReportCollector(ip, port, *issue(tmp_path / "ca", tmp_path / "collector",
                                              ("reports.sender.test",)), **(collecting or {}))
    return h, server, rua


def deliver_under_sts(h):
    """One message to DOMAIN, delivered under its MTA-STS policy: a session to report."""
    msg_id = send(h, "alice@sender.test", [f"bob@{DOMAIN}"])
    h.wait_for_log(rf" {msg_id} => <?bob@{DOMAIN}>? .* P=sts ", timeout=60)


def test_successes_are_counted_and_posted_to_an_https_rua(sts, tmp_path):
    h, server, rua = with_https_rua(sts, tmp_path)
    try:
        deliver_under_sts(h)
        outcome = send_reports(h)
        assert f"sent to {rua} (201 Created)" in outcome, outcome
        [(path, content_type, body)] = server.posts
        assert (path, content_type) == ("/v1/tlsrpt", "application/tlsrpt+gzip")
        report = json.loads(gzip.decompress(body))
        [policy_entry] = report["policies"]
        assert policy_entry["policy"]["policy-type"] == "sts"
        assert failures(policy_entry) == (1, 0, [])
    finally:
        server.stop()


def test_a_post_that_fails_is_tried_again(sts, tmp_path):
    # RFC 8460 5.5: redelivery for up to 24 hours. The first try is answered 503; the report
    # waits in the spool, and goes with the next `herald tlsrpt send` (or at its time).
    admin_port = free_port()
    h, server, rua = with_https_rua(
        sts, tmp_path, {"refusals": 1},
        admin={"http": f"127.0.0.1:{admin_port}", "token": ADMIN_TOKEN})

    def figures():
        samples = scrape(admin_port, ADMIN_TOKEN)
        return (metric_sum(samples, "herald_tlsrpt_sessions_total", result="successful"),
                metric_sum(samples, "herald_tlsrpt_reports_total", method="https", result="sent"),
                metric_sum(samples, "herald_tlsrpt_reports_total", method="https",
                           result="failed"),
                metric_sum(samples, "herald_tlsrpt_posts_waiting"))
    try:
        deliver_under_sts(h)
        outcome = send_reports(h)
        assert "answered 503 Service Unavailable; tried again from " in outcome, outcome
        assert len(list(h.path("var/spool/tlsrpt").glob("retry-*.json"))) == 1
        assert figures() == (1, 0, 1, 1)
        h.restart()  # the report waits on disk; the counts start again
        outcome = send_reports(h)
        assert f"{rua} (201 Created, attempt 2)" in outcome, outcome
        first, second = server.posts
        assert first == second  # the same report, gzip'd the same way
        report = json.loads(gzip.decompress(second[2]))
        assert failures(only_policy({"report": report})) == (1, 0, [])
        assert list(h.path("var/spool/tlsrpt").glob("retry-*.json")) == []
        assert figures() == (0, 1, 0, 0)
    finally:
        server.stop()


def test_a_waiting_post_goes_out_once_when_two_sendings_meet(sts, tmp_path):
    # The minute's timer and `herald tlsrpt send` both try the POSTs that wait; a sending that
    # finds a report in the other's hands (waiting for the collector's answer) passes it by.
    answer = threading.Event()
    h, server, rua = with_https_rua(sts, tmp_path, {"refusals": 1, "hold": answer})
    try:
        deliver_under_sts(h)
        assert "answered 503" in send_reports(h)
        first = []
        sending = threading.Thread(target=lambda: first.append(send_reports(h)))
        sending.start()
        wait_for(lambda: len(server.posts) == 2, what="the second attempt at the collector")
        meanwhile = send_reports(h)
        answer.set()
        sending.join(timeout=60)
        assert rua not in meanwhile, meanwhile
        assert f"{rua} (201 Created, attempt 2)" in first[0], first
        assert len(server.posts) == 2
        assert list(h.path("var/spool/tlsrpt").glob("retry-*.json")) == []
    finally:
        answer.set()
        server.stop()


def test_a_domain_without_a_tlsrpt_record_gets_no_report(sts):
    h, receiver, _ = sts(**ENABLED)
    msg_id = send(h, "alice@sender.test", [f"bob@{DOMAIN}"])
    h.wait_for_log(rf" {msg_id} => <?bob@{DOMAIN}>? ", timeout=60)
    entry = shown(h)[DOMAIN]
    assert entry["not_sent"] == "no TLSRPT record"
    assert failures(only_policy(entry)) == (1, 0, [])
    assert f"{DOMAIN}; no TLSRPT record" in send_reports(h)


def test_the_counts_survive_a_restart(sts):
    h, receiver, _ = sts(receiver_tls=None, zone=[f"_smtp._tls.{DOMAIN}. TXT {BY_MAIL}"],
                         **ENABLED)
    msg_id = send(h, "alice@sender.test", [f"bob@{DOMAIN}"])
    h.wait_for_log(rf" {msg_id} == <?bob@{DOMAIN}>? ", timeout=60)
    h.restart()
    assert failures(only_policy(shown(h)[DOMAIN])) == (0, 1, ["starttls-not-supported"])


def test_without_tlsrpt_nothing_is_counted(make_herald):
    h = make_herald()
    result = h.cli("tlsrpt", "show")
    assert result.returncode == 1
    assert b"TLS reporting is off ([tlsrpt] enabled = false)" in result.stderr
