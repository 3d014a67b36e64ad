"""Helpers for the issue 18 tests (docs/events.md): the JSON-lines event file, the
`herald suppress` command, /metrics, small JSON HTTP calls, a smarthost receiver, and an SMTP
client that connects from outside the relay networks.

Used by test_suppression.py and test_async_bounces.py."""
import csv
import datetime
import io
import json
import re
import smtplib
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

# One file sink, at its default place <log_dir>/events (docs/events.md, "Sinks").
FILE_SINK = [{"type": "file"}]

# A "remote MTA": connects to Herald (on 127.0.0.1) from this address, which the tests keep
# out of [relay] networks (they set networks = ["127.0.0.1/32"]).
OUTSIDE = "127.0.0.9"


# -- events -------------------------------------------------------------------------------------

def events_path(h):
    return h.log_dir / "events"


def read_events(h, type=None, **fields):
    """The events of the file sink, oldest first; only those of `type` whose `fields` equal
    the given values. A line still being written (not yet JSON) is skipped."""
    path = events_path(h)
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        if type is not None and event.get("type") != type:
            continue
        if any(event.get(k) != v for k, v in fields.items()):
            continue
        out.append(event)
    return out


def wait_events(h, type, what=None, **fields):
    """Waits until at least one event of `type` with `fields` is in the file; returns them."""
    return h.wait_for(lambda: read_events(h, type, **fields),
                      what=what or f"a {type!r} event with {fields} in {events_path(h)}")


# -- dates --------------------------------------------------------------------------------------

def plausible_dates():
    """The YYYY-MM-DD dates an entry made during this test may carry: today and yesterday, in
    UTC and in local time (a test may run across midnight)."""
    now_utc = datetime.datetime.now(datetime.timezone.utc)
    now_local = datetime.datetime.now()
    days = set()
    for now in (now_utc, now_local):
        days.add(now.date())
        days.add((now - datetime.timedelta(days=1)).date())
    return {d.isoformat() for d in days}


def has_plausible_date(text):
    return any(d in text for d in plausible_dates())


def is_recent_timestamp(value):
    """A creation time of the last two days: a date (YYYY-MM-DD, alone or in an RFC 3339
    time) or Unix seconds."""
    text = str(value).strip()
    if re.fullmatch(r"\d{9,11}", text):
        age = datetime.datetime.now(datetime.timezone.utc).timestamp() - int(text)
        return -300 <= age <= 2 * 86400
    return has_plausible_date(text)


# -- herald suppress ----------------------------------------------------------------------------

def suppress(h, *args, input=None):
    """`herald --config C suppress ARGS...`: (exit status, stdout, stderr) as text."""
    result = h.cli("suppress", *args, input=input)
    return (result.returncode, result.stdout.decode("utf-8", "replace"),
            result.stderr.decode("utf-8", "replace"))


def suppress_ok(h, *args, input=None):
    """As suppress(), asserting exit status 0; returns stdout."""
    code, out, err = suppress(h, *args, input=input)
    assert code == 0, f"herald suppress {' '.join(args)}: exit {code}\n{out}\n{err}"
    return out


def check(h, address, domain=None):
    """(suppressed?, stdout) from `herald suppress check`; any exit status other than 0 or 1
    fails the test."""
    args = ["check", address] + (["--domain", domain] if domain else [])
    code, out, err = suppress(h, *args)
    assert code in (0, 1), f"herald suppress {' '.join(args)}: exit {code}\n{out}\n{err}"
    return code == 0, out


def is_suppressed(h, address, domain=None):
    return check(h, address, domain)[0]


def export_rows(text):
    """The rows of `herald suppress export` as dicts (address, domain, reason, created); a
    header row, if any, is skipped."""
    rows = []
    for row in csv.reader(io.StringIO(text)):
        if not row or [c.strip().lower() for c in row[:2]] == ["address", "domain"]:
            continue
        assert len(row) == 4, f"an export row is address,domain,reason,created: {row!r}"
        rows.append(dict(zip(("address", "domain", "reason", "created"), row)))
    return rows


def listed_entries(document):
    """The entries of `suppress list --json` or of GET /api/v1/suppressions: a JSON array of
    objects, or an object holding that array (under "suppressions", "entries", "items" or
    "data"; the first list value otherwise)."""
    if isinstance(document, list):
        return document
    assert isinstance(document, dict), document
    for key in ("suppressions", "entries", "items", "data"):
        if isinstance(document.get(key), list):
            return document[key]
    lists = [v for v in document.values() if isinstance(v, list)]
    assert lists, f"no list of entries in {document!r}"
    return lists[0]


def entry_date(entry):
    """An entry's date (created or since), as given."""
    for key in ("created", "since", "created_at", "date"):
        if entry.get(key):
            return str(entry[key])
    return ""


# -- /metrics -----------------------------------------------------------------------------------

def scrape(port, token=None):
    """{(sample name, frozenset of label items): value} of the admin server's /metrics."""
    status, body = http("GET", f"http://127.0.0.1:{port}/metrics", token=token)
    assert status == 200, body[:500]
    samples = {}
    for family in text_string_to_metric_families(body.decode("utf-8")):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def metric_sum(samples, name, **labels):
    """The sum of the samples `name` whose labels include `labels` (a label given as a tuple
    matches any of its values); 0 when there are none."""
    total = 0.0
    for (sample_name, sample_labels), value in samples.items():
        if sample_name != name:
            continue
        have = dict(sample_labels)
        ok = True
        for key, wanted in labels.items():
            options = wanted if isinstance(wanted, tuple) else (wanted,)
            if have.get(key) not in options:
                ok = False
                break
        if ok:
            total += value
    return total


# -- HTTP ---------------------------------------------------------------------------------------

def http(method, url, token=None, body=None, raw=None):
    """(status, body bytes); 4xx and 5xx are returned, not raised. `body` is sent as JSON."""
    data = raw
    headers = {}
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif method in ("POST", "PUT") and data is None:
        data = b""
    request = urllib.request.Request(url, method=method, data=data, headers=headers)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def json_of(body):
    try:
        return json.loads(body.decode("utf-8")) if body else None
    except ValueError:
        raise AssertionError(f"not JSON: {body[:300]!r}")


# -- delivery -----------------------------------------------------------------------------------

def smarthost(receiver, retry=("1h",)):
    """Config sections: every message to the aiosmtpd `receiver` on 127.0.0.1 (no TLS), a
    deferred one retried after `retry`."""
    return {
        "transport": [{"name": "out", "type": "smtp", "host": "127.0.0.1",
                       "port": receiver.port, "tls": "none"}],
        "route": [{"sender": "*", "transport": "out"}],
        "queue": {"retry": list(retry), "max_age": "5d"},
    }


def arrivals(h):
    """The ids of the '<=' (arrival) lines of the mainlog, in order."""
    return re.findall(r"^\S+ (\S+) <= ", h.mainlog(), re.M)


def delivery_lines(h, msg_id):
    """The mainlog lines that say a message went somewhere or failed: =>, ->, **."""
    return [l for l in h.events(msg_id) if re.search(rf" {re.escape(msg_id)} (=>|->|\*\*) ", l)]


def crlf(data):
    """Bytes with every line ending CRLF (smtplib sends bytes as given)."""
    return re.sub(rb"\r?\n", b"\r\n", data)


def outside_smtp(h, source=OUTSIDE, ehlo="mx.outside.test", mode="relay"):
    """smtplib client to Herald's `mode` listener, connecting from `source`, after EHLO."""
    s = smtplib.SMTP("127.0.0.1", h.port(mode), timeout=120, source_address=(source, 0))
    s.ehlo(ehlo)
    return s


def deliver_report(h, rcpt, data, mail_from="", source=OUTSIDE):
    """One transaction from `source`: MAIL FROM:<mail_from>, RCPT TO:<rcpt>, DATA `data`.
    Returns (rcpt reply, data reply or None when RCPT was refused), replies as
    (code, text)."""
    with outside_smtp(h, source) as s:
        code, text = s.mail(mail_from)
        assert code == 250, (code, text)
        rcpt_reply = s.rcpt(rcpt)
        if rcpt_reply[0] != 250:
            return rcpt_reply, None
        data_reply = s.data(crlf(data))
        return rcpt_reply, data_reply
