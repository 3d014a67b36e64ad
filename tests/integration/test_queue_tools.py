"""The queue tools an administrator reaches for (issue 20): `herald queue list` with filters
and totals, `queue summary` (qshape), bulk actions by filter, `queue show --body` with the log
trail, `mailq` and `sendmail -bp`, and the same filter on GET /api/queue and the bulk
POST /api/queue/<action>. Against a running server whose transports defer everything, so
messages stay queued; two transports, so that the router's choice can be filtered on."""
import json
import os
import re
import time
import urllib.error
import urllib.request

import pytest

from herald_fixture import HERALD_BIN, STUCK_PATH, free_port, message, send

BRAND = "brand.herald.test"
CLIENT = "client.herald.test"
ALICE = f"alice@{CLIENT}"
BOB = f"bob@{CLIENT}"
NEWS = f"news@{BRAND}"
# Who sends to whom: 3 messages, 6 recipients; news@brand goes through "slow", the rest
# through "stuck".
MAIL = {
    ALICE: ["x1@example.net", "x2@example.org"],
    BOB: ["y1@example.net"],
    NEWS: ["z1@example.com", "z2@example.com", "z3@example.net"],
}


def two_stuck_transports(**sections):
    return dict(
        transport=[{"name": "stuck", "type": "maildir", "path": STUCK_PATH},
                   {"name": "slow", "type": "maildir", "path": STUCK_PATH}],
        route=[{"sender": f"*@{BRAND}", "transport": "slow"},
               {"sender": "*", "transport": "stuck"}],
        queue={"retry": ["1h"], "max_age": "5d"},
        **sections)


def fill(h):
    """{sender: id}, each message deferred once."""
    ids = {}
    for sender, recipients in MAIL.items():
        ids[sender] = send(h, sender, recipients,
                           message(sender=sender, to=recipients[0], subject=f"from {sender}",
                                   body=f"the body of {sender}\r\n"))
    for msg_id in ids.values():
        h.wait_for(lambda: h.events(msg_id, "=="), what=f"{msg_id} deferred")
    return ids


@pytest.fixture
def queued(make_herald):
    h = make_herald(**two_stuck_transports())
    return h, fill(h)


def listed(h, *args):
    """(ids on the list, the totals line) of `herald queue list ARGS`."""
    result = h.cli("queue", "list", *args)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert lines and lines[-1].startswith("-- "), lines
    return {l.split()[0] for l in lines[:-1]}, lines[-1]


def usage_error(result):
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    err = result.stderr.decode().strip()
    assert err and len(err.splitlines()) == 1, err
    return err


# -- list --------------------------------------------------------------------------------

def test_each_filter_narrows_the_list(queued):
    h, ids = queued
    everyone = set(ids.values())
    assert listed(h)[0] == everyone
    cases = {
        ("--sender", ALICE): {ids[ALICE]},
        ("--sender", ALICE.upper()): {ids[ALICE]},  # addresses compare without case
        ("--sender", f"@{CLIENT}"): {ids[ALICE], ids[BOB]},
        ("--sender", f"*@{BRAND}"): {ids[NEWS]},
        ("--recipient", "y1@example.net"): {ids[BOB]},
        ("--recipient", "@example.org"): {ids[ALICE]},
        ("--domain", "example.com"): {ids[NEWS]},
        ("--domain", "example.net"): everyone,
        ("--transport", "slow"): {ids[NEWS]},
        ("--transport", "stuck"): {ids[ALICE], ids[BOB]},
        ("--older-than", "1h"): set(),
        ("--younger-than", "1h"): everyone,
        ("--held",): set(),
        ("--not-held",): everyone,
    }
    for args, expected in cases.items():
        assert listed(h, *args)[0] == expected, args
    # Combined: every criterion holds.
    assert listed(h, "--domain", "example.net", "--sender", f"@{CLIENT}", "--transport",
                  "stuck")[0] == {ids[ALICE], ids[BOB]}
    assert listed(h, "--domain", "example.org", "--transport", "slow")[0] == set()
    # Recipient, domain and transport hold for one and the same recipient.
    assert listed(h, "--recipient", "x1@example.net", "--domain", "example.org")[0] == set()


def test_age_filters_follow_the_clock(queued):
    h, ids = queued
    time.sleep(2.2)
    assert listed(h, "--older-than", "2s")[0] == set(ids.values())
    assert listed(h, "--younger-than", "2s")[0] == set()


def test_held_filters(queued):
    h, ids = queued
    assert h.cli("queue", "hold", ids[BOB]).returncode == 0
    assert listed(h, "--held")[0] == {ids[BOB]}
    assert listed(h, "--not-held")[0] == {ids[ALICE], ids[NEWS]}


def test_totals_line(queued):
    h, ids = queued
    _, totals = listed(h)
    assert re.fullmatch(r"-- 3 messages, 6 recipients pending, \d+ KiB", totals), totals
    _, totals = listed(h, "--sender", BOB)
    assert re.fullmatch(r"-- 1 message, 1 recipient pending, \d+ KiB \(of 3 queued\)",
                        totals), totals
    _, totals = listed(h, "--domain", "example.invalid")
    assert totals == "-- 0 messages, 0 recipients pending, 0 KiB (of 3 queued)", totals


def test_json_stays_an_array_and_is_filtered(queued):
    h, ids = queued
    result = h.cli("queue", "list", "--json", "--transport", "slow")
    data = json.loads(result.stdout)
    assert isinstance(data, list) and [e["id"] for e in data] == [ids[NEWS]]
    assert len(h.queue_list_json()) == 3


def test_an_empty_queue_says_so(make_herald):
    h = make_herald(**two_stuck_transports())
    result = h.cli("queue", "list")
    assert result.returncode == 0 and result.stdout.decode() == "Mail queue is empty\n"
    assert json.loads(h.cli("queue", "list", "--json").stdout) == []


# -- summary -----------------------------------------------------------------------------

def summary_rows(h, *args):
    result = h.cli("queue", "summary", *args)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    header = lines[0].split()
    assert header[1:] == ["T", "5", "10", "20", "40", "80", "160", "320", "640", "1280",
                          "1280+"], header
    return {cells[0]: [int(c) for c in cells[1:]] for cells in map(str.split, lines[1:])}


def test_summary_counts_pending_recipients_per_domain_and_age(queued):
    h, _ = queued
    rows = summary_rows(h)
    # Everything is minutes old: the first age column holds it all.
    assert rows["TOTAL"] == [6, 6] + [0] * 9
    assert rows["example.net"] == [3, 3] + [0] * 9
    assert rows["example.com"] == [2, 2] + [0] * 9
    assert rows["example.org"] == [1, 1] + [0] * 9
    out = h.cli("queue", "summary").stdout.decode().splitlines()
    assert [l.split()[0] for l in out[2:]] == ["example.net", "example.com", "example.org"]


def test_summary_by_transport_and_filtered(queued):
    h, _ = queued
    rows = summary_rows(h, "--by", "transport")
    assert rows["slow"][0] == 3 and rows["stuck"][0] == 3 and rows["TOTAL"][0] == 6
    rows = summary_rows(h, "--domain", "example.net")
    assert set(rows) == {"TOTAL", "example.net"} and rows["TOTAL"][0] == 3


def test_summary_json(queued):
    h, _ = queued
    data = json.loads(h.cli("queue", "summary", "--json", "--by", "transport").stdout)
    assert data["by"] == "transport"
    assert data["bucket_minutes"][0] == "5" and data["bucket_minutes"][-1] == "1280+"
    assert data["total"]["total"] == 6
    assert {r["name"]: r["total"] for r in data["rows"]} == {"slow": 3, "stuck": 3}
    assert all(len(r["counts"]) == 10 for r in data["rows"])


# -- bulk actions --------------------------------------------------------------------------

def test_delete_by_filter(queued):
    h, ids = queued
    result = h.cli("queue", "delete", "--domain", "example.org")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == "deleted 1 message\n"
    assert h.queue_ids() == {ids[BOB], ids[NEWS]}
    log = h.mainlog()
    assert re.search(rf"{ids[ALICE]} .*deleted by administrator", log), log
    assert "queue delete of the messages matching domain=example.org: 1 touched" in log


def test_hold_and_release_by_filter(queued):
    h, ids = queued
    result = h.cli("queue", "hold", "--sender", f"@{CLIENT}")
    assert result.returncode == 0 and result.stdout.decode() == "held 2 messages\n", result
    held = {e["id"] for e in h.queue_list_json() if e["held"]}
    assert held == {ids[ALICE], ids[BOB]}
    # What is held already is not touched again: nothing left to do is exit 1.
    again = h.cli("queue", "hold", "--sender", f"@{CLIENT}")
    assert again.returncode == 1 and b"no message matches" in again.stderr, again
    result = h.cli("queue", "release", "--all")
    assert result.returncode == 0 and result.stdout.decode() == "released 2 messages\n", result
    assert not any(e["held"] for e in h.queue_list_json())


def test_flush_by_transport_retries_only_those(queued):
    h, ids = queued
    attempts = {i: len(h.events(i, "==")) for i in ids.values()}
    result = h.cli("queue", "flush", "--transport", "stuck")
    assert result.returncode == 0 and result.stdout.decode() == "flushed 2 messages\n", result
    for sender in (ALICE, BOB):
        msg_id = ids[sender]
        h.wait_for(lambda: len(h.events(msg_id, "==")) > attempts[msg_id],
                   what=f"{msg_id} retried")
    time.sleep(0.5)
    assert len(h.events(ids[NEWS], "==")) == attempts[ids[NEWS]]


def test_bounce_by_filter_sends_a_dsn(queued):
    h, ids = queued
    result = h.cli("queue", "bounce", "--sender", BOB)
    assert result.returncode == 0 and result.stdout.decode() == "bounced 1 message\n", result
    h.wait_for(lambda: ids[BOB] not in h.queue_ids(), what="the bounced message gone")
    h.wait_for(lambda: h.events(ids[BOB], "**"), what="** lines")
    # The DSN to bob, from the null sender, now waits in the queue itself.
    dsn, _ = listed(h, "--sender", "<>", "--recipient", BOB)
    assert len(dsn) == 1 and not dsn & set(ids.values()), dsn


def test_a_held_message_bounced_leaves_the_queue(queued):
    h, ids = queued
    assert h.cli("queue", "hold", ids[BOB]).returncode == 0
    result = h.cli("queue", "bounce", ids[BOB])
    assert result.returncode == 0, result
    h.wait_for(lambda: ids[BOB] not in h.queue_ids(), what="the held, bounced message gone")
    assert h.events(ids[BOB], "**")


def test_delete_all_empties_the_queue(queued):
    h, _ = queued
    result = h.cli("queue", "delete", "--all")
    assert result.returncode == 0 and result.stdout.decode() == "deleted 3 messages\n", result
    assert h.cli("queue", "list").stdout.decode() == "Mail queue is empty\n"
    again = h.cli("queue", "delete", "--all")
    assert again.returncode == 1 and again.stderr.decode().count("\n") == 1, again


def test_bulk_actions_without_a_server(queued):
    h, ids = queued
    assert h.stop() == 0
    result = h.cli("queue", "hold", "--domain", "example.com")
    assert result.returncode == 0 and result.stdout.decode() == "held 1 message\n", result
    result = h.cli("queue", "delete", "--sender", BOB)
    assert result.returncode == 0 and result.stdout.decode() == "deleted 1 message\n", result
    bounce = h.cli("queue", "bounce", "--all")
    assert bounce.returncode == 1 and b"needs the running server" in bounce.stderr, bounce
    h.start()
    entries = {e["id"]: e for e in h.queue_list_json()}
    assert set(entries) == {ids[ALICE], ids[NEWS]} and entries[ids[NEWS]]["held"] is True


@pytest.mark.parametrize("args", [
    ["queue", "delete"],
    ["queue", "hold"],
    ["queue", "delete", "0000000000000000zzzz", "--domain", "example.net"],
    ["queue", "delete", "0000000000000000zzzz", "--all"],
    ["queue", "delete", "--all", "--domain", "example.net"],
    ["queue", "list", "--older-than", "soon"],
    ["queue", "list", "--younger-than", "-3h"],
    ["queue", "list", "--domain", "not a domain"],
    ["queue", "list", "--domain", "exa_mple..net"],
    ["queue", "list", "--sender", "nobody"],
    ["queue", "list", "--recipient", "x@"],
    ["queue", "list", "--transport", "nosuch"],
    ["queue", "list", "--held", "--not-held"],
    ["queue", "summary", "--by", "colour"],
    ["queue", "flush", "--older-than", "1x"],
    ["queue", "bounce", "--sender", "a@b@"],
])
def test_bad_input_is_one_line_and_exit_2(make_herald, args):
    h = make_herald(start=False, **two_stuck_transports())
    usage_error(h.cli(*args))


def test_bad_filter_names_the_option(make_herald):
    h = make_herald(start=False, **two_stuck_transports())
    err = usage_error(h.cli("queue", "list", "--older-than", "soon"))
    assert "--older-than" in err and "soon" in err, err


# -- show --------------------------------------------------------------------------------

def test_show_prints_headers_the_trail_and_with_body_the_body(queued):
    h, ids = queued
    msg_id = ids[ALICE]
    out = h.cli("queue", "show", msg_id).stdout.decode()
    assert f"Subject: from {ALICE}" in out
    assert f"the body of {ALICE}" not in out
    trail = out[out.index("log:\n"):].splitlines()[1:]
    assert any(msg_id in l and "<=" in l for l in trail), out
    assert any(msg_id in l and "==" in l for l in trail), out
    body = h.cli("queue", "show", "--body", msg_id).stdout.decode()
    assert f"the body of {ALICE}" in body
    assert body.index(f"Subject: from {ALICE}") < body.index(f"the body of {ALICE}")


# -- mailq and sendmail -bp ----------------------------------------------------------------

def test_mailq_and_sendmail_bp_list_the_queue(queued, tmp_path):
    h, ids = queued
    links = tmp_path / "bin"
    links.mkdir()
    for name in ("mailq", "sendmail"):
        os.symlink(HERALD_BIN, links / name)
    import subprocess
    env = dict(os.environ, HERALD_CONFIG=str(h.config_path))
    outputs = [
        subprocess.run([str(links / "mailq")], env=env, cwd=h.dir, capture_output=True),
        subprocess.run([str(links / "sendmail"), "-bp"], env=env, cwd=h.dir,
                       capture_output=True),
        h.cli("sendmail", "-bp"),
        subprocess.run([str(links / "mailq"), "--config", str(h.config_path), "--sender", BOB],
                       cwd=h.dir, capture_output=True),
    ]
    for result in outputs[:3]:
        assert result.returncode == 0, result
        lines = result.stdout.decode().splitlines()
        assert {l.split()[0] for l in lines[:-1]} == set(ids.values()), lines
        assert lines[-1].startswith("-- 3 messages, 6 recipients pending"), lines
    filtered = outputs[3].stdout.decode().splitlines()
    assert outputs[3].returncode == 0 and [l.split()[0] for l in filtered[:-1]] == [ids[BOB]]


# -- the admin API -------------------------------------------------------------------------

@pytest.fixture
def api(make_herald):
    port = free_port()
    h = make_herald(**two_stuck_transports(admin={"http": f"127.0.0.1:{port}"}))
    return h, port, fill(h)


def call(h, port, path, method="GET"):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     data=b"" if method == "POST" else None)
    request.add_header("Authorization", f"Bearer {h.admin_token()}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, e.headers, json.loads(e.read())


def test_api_queue_takes_the_filter_and_pages(api):
    h, port, ids = api
    status, headers, body = call(h, port, "/api/queue?domain=example.com")
    assert status == 200 and [e["id"] for e in body] == [ids[NEWS]]
    assert headers["X-Matching-Count"] == "1" and headers["X-Total-Count"] == "3"
    status, headers, body = call(h, port, "/api/queue?transport=stuck&held=no")
    assert {e["id"] for e in body} == {ids[ALICE], ids[BOB]}
    status, _, body = call(h, port, f"/api/queue?sender=%40{CLIENT}&recipient=y1%40example.net")
    assert [e["id"] for e in body] == [ids[BOB]]
    # Paging: oldest first, `offset` skips, X-Matching-Count counts them all.
    order = [e["id"] for e in call(h, port, "/api/queue")[2]]
    pages = [call(h, port, f"/api/queue?limit=2&offset={n}") for n in (0, 2, 4)]
    assert [[e["id"] for e in p[2]] for p in pages] == [order[:2], order[2:], []]
    assert all(p[1]["X-Matching-Count"] == "3" for p in pages)
    for bad in ("older_than=soon", "held=maybe", "domain=a%20b", "offset=-1", "sender=x"):
        status, _, body = call(h, port, f"/api/queue?{bad}")
        assert status == 400 and body.get("error"), (bad, status, body)


def test_api_bulk_actions(api):
    h, port, ids = api
    status, _, body = call(h, port, f"/api/queue/hold?sender=%40{CLIENT}", "POST")
    assert status == 200 and body == {"touched": 2}, body
    assert {e["id"] for e in call(h, port, "/api/queue?held=yes")[2]} == {ids[ALICE], ids[BOB]}
    status, _, body = call(h, port, "/api/queue/release?all=yes", "POST")
    assert status == 200 and body == {"touched": 2}, body
    # A bare delete names no messages; a filter with all=yes is a contradiction.
    for path in ("/api/queue/delete", "/api/queue/delete?all=yes&domain=example.com",
                 "/api/queue/delete?all=no", "/api/queue/delete?domain=bad%20domain"):
        status, _, body = call(h, port, path, "POST")
        assert status == 400, (path, status, body)
    assert call(h, port, "/api/queue/delete?all=yes")[0] == 405
    assert len(call(h, port, "/api/queue")[2]) == 3
    status, _, body = call(h, port, "/api/queue/delete?domain=example.com", "POST")
    assert status == 200 and body == {"touched": 1}, body
    assert {e["id"] for e in call(h, port, "/api/queue")[2]} == {ids[ALICE], ids[BOB]}
    # The flush of the whole queue answers as it always did.
    status, _, body = call(h, port, "/api/queue/flush", "POST")
    assert status == 200 and body["ok"] is True, body
    status, _, body = call(h, port, "/api/queue/delete?all=yes", "POST")
    assert status == 200 and body == {"touched": 2}, body
    assert call(h, port, "/api/queue")[2] == []
