"""One-click unsubscribe (RFC 8058, issue 19 part 1; docs/config.md "[unsubscribe]",
docs/events.md "Unsubscribes"): the List-Unsubscribe and List-Unsubscribe-Post headers Herald
adds before it signs (checked with python3-dkim against a key published by unbound), the
messages that get none, and the links themselves, clicked with a real HTTPS client (requests):
a POST unsubscribes (an `unsubscribed` event, the recipient on the sender domain's suppression
list, the next message refused at RCPT), a GET only shows a page with a button, a damaged link
gets 403 and is counted in /metrics, other methods get 405.

Every Herald here has a submission listener (alice, plaintext AUTH on loopback), an
unsubscribe listener with tls = true (the self-signed certificate Herald makes in its spool,
so the client does not verify it), [admin] http for /metrics, the file event sink, and
delivers everything to one aiosmtpd receiver (a smarthost on 127.0.0.1), where the delivered
message and its headers are read.

Expired links are not tested here: a link lives at least a day ([unsubscribe] lifetime >= 1d),
and expiry is unit-tested."""
import base64
import re
import secrets
import stat
import time
from html.parser import HTMLParser
from urllib.parse import urljoin

import dkim
import pytest
import requests

from herald_fixture import free_port, message, openssl_passwd, transaction
from event_support import (FILE_SINK, check, is_suppressed, metric_sum, plausible_dates,
                           read_events, scrape, smarthost, wait_events)
from test_dkim import Published, keygen, signatures
from test_suppression import PASSWORD, refusal_pattern, submission

# The client does not verify Herald's self-signed certificate, on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

DOMAIN = "example.com"          # in [unsubscribe] senders
OTHER = "other.test"            # not in senders (unless "*")
SENDER = f"news@{DOMAIN}"
OTHER_SENDER = f"news@{OTHER}"
RCPT = "reader@y.test"          # the recipient who unsubscribes
RCPT2 = "second@y.test"         # another recipient, never unsubscribed
VICTIM = "victim@y.test"        # whom a forged link tries to unsubscribe
LIST = "news.example.com"       # the List-Id of the tests that have one
ADMIN_TOKEN = "unsubscribe-admin-token-0123456789"
ONE_CLICK = "List-Unsubscribe=One-Click"
DAY = 86400

# <https://127.0.0.1:PORT/u/PAYLOAD.MAC>, both parts base64url (unsubscribe_link.hpp).
LINK = re.compile(r"<(https://127\.0\.0\.1:(\d+)/u/([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+))>")


# -- the server ---------------------------------------------------------------------------------

def start(make_herald, smtp_receiver, senders=(DOMAIN,), unsubscribe=None, **sections):
    """(herald, receiver): submission and unsubscribe (HTTPS) listeners, [unsubscribe] url on
    the latter and `senders`, the admin API, the file event sink, delivery to `receiver`."""
    receiver = smtp_receiver()
    admin_port = free_port()
    config = dict(
        user=[{"name": "alice", "password_hash": openssl_passwd(PASSWORD),
               "sender_domains": [DOMAIN, OTHER]}],
        smtp={"allow_plaintext_auth_on_loopback": True},
        admin={"http": f"127.0.0.1:{admin_port}", "token": ADMIN_TOKEN},
        event_sink=FILE_SINK,
        **smarthost(receiver))
    config.update(sections)
    h = make_herald(listeners=("submission", "unsubscribe"), start=False, **config)
    port = h.port("unsubscribe")
    for listener in h.config["listener"]:
        if listener["mode"] == "unsubscribe":
            listener["tls"] = True
    h.config["unsubscribe"] = {"url": f"https://127.0.0.1:{port}/u", "senders": list(senders),
                               **(unsubscribe or {})}
    h.write_config()
    h.start()
    h.admin_port = admin_port
    h.base_url = f"https://127.0.0.1:{port}/u"
    return h, receiver


def with_dkim(make_herald, smtp_receiver, dns_zone, tmp_path, **extra):
    """(herald, receiver, published key): as start(), signing DOMAIN's mail with a key that
    unbound publishes (as test_dkim.py does)."""
    key, record, strings = keygen(tmp_path, "s1", domain=DOMAIN)
    dns = dns_zone([record], zones=(f"{DOMAIN}.",))
    h, receiver = start(make_herald, smtp_receiver, dns={"servers": [dns]},
                        **{"dkim.key": [{"domain": DOMAIN, "selector": "s1",
                                         "private_key": str(key)}]}, **extra)
    published = Published()
    published.add("s1", DOMAIN, strings)
    return h, receiver, published


# -- mail ---------------------------------------------------------------------------------------

class Sent:
    def __init__(self, msg_id, subject, recipients):
        self.id, self.subject, self.recipients = msg_id, subject, recipients


def send(h, sender, recipients, extra_headers=()):
    """One message by authenticated submission (alice); every reply 250."""
    subject = f"unsubscribe test {secrets.token_hex(6)}"
    data = message(subject=subject, sender=sender, to=recipients[0], extra_headers=extra_headers)
    with submission(h) as s:
        msg_id = transaction(s, sender, recipients, data)
    return Sent(msg_id, subject, recipients)


def delivered(h, receiver, sent, recipient=None):
    """The bytes the receiver got of `sent` for `recipient` (default: its first)."""
    recipient = recipient or sent.recipients[0]
    marker = f"Subject: {sent.subject}\r\n".encode()

    def find():
        return [m.data for m in receiver.delivered_to(recipient) if marker in m.data]
    [data] = h.wait_for(find, what=f"{sent.id} delivered to {recipient}")
    return data


def header_fields(raw):
    """[(name, unfolded value)] of the header section of `raw` (bytes), in order."""
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    head = re.sub(rb"\r?\n(?=[ \t])", b"", head).decode("utf-8", "replace")
    out = []
    for line in re.split(r"\r?\n", head):
        name, _, value = line.partition(":")
        out.append((name.strip(), value.strip()))
    return out


def fields(raw, name):
    return [v for n, v in header_fields(raw) if n.lower() == name.lower()]


def signed_header_names(signature):
    """The h= tag of a DKIM-Signature field (bytes), as lower-case names."""
    value = re.sub(rb"\s+", b"", signature.split(b":", 1)[1]).decode()
    tags = dict(t.split("=", 1) for t in value.split(";") if "=" in t)
    return [n.lower() for n in tags["h"].split(":")]


def unsubscribe_notes(h, msg_id):
    return [l for l in h.events(msg_id) if "unsubscribe:" in l]


# -- links --------------------------------------------------------------------------------------

def link_of(raw):
    """The one https link of the message's one List-Unsubscribe field."""
    [value] = fields(raw, "List-Unsubscribe")
    match = LINK.fullmatch(value)
    assert match, f"List-Unsubscribe is not <https://127.0.0.1:PORT/u/TOKEN>: {value!r}"
    return match.group(1)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_parts(link):
    """(payload, mac) of a link's token, both as base64url text."""
    payload, mac = link.rsplit("/", 1)[1].split(".")
    return payload, mac


def claim_of(link):
    """What the token says (unsubscribe_link.hpp): "<expiry>\\n<domain>\\n<list>\\n<rcpt>"."""
    expires, domain, list_id, recipient = from_b64url(token_parts(link)[0]).decode().split("\n")
    return {"expires": int(expires), "domain": domain, "list": list_id, "recipient": recipient}


def flipped(text, at=0):
    """`text` with the base64url character at `at` replaced by another one."""
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1:]


def https(method, url, **kwargs):
    """One request in a fresh session (so no cookies), no redirects followed, no proxy from
    the environment, the self-signed certificate not verified."""
    with requests.Session() as session:
        session.trust_env = False
        return session.request(method, url, verify=False, allow_redirects=False, timeout=60,
                               **kwargs)


def click(url):
    """What a mail client sends for one-click unsubscribe (RFC 8058 3.2)."""
    return https("POST", url, data={"List-Unsubscribe": "One-Click"})


def requests_counted(h, result):
    """herald_unsubscribe_requests_total{result} on the admin /metrics."""
    return metric_sum(scrape(h.admin_port, ADMIN_TOKEN), "herald_unsubscribe_requests_total",
                      result=result)


class Forms(HTMLParser):
    """The forms of a page: method, action, the fields a browser submits, the buttons."""

    def __init__(self, html):
        super().__init__()
        self.forms = []
        self._form = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(),
                          "action": a.get("action", ""), "fields": {}, "buttons": 0}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind == "submit":
                self._form["buttons"] += 1
            elif a.get("name") and kind not in ("button", "reset", "image", "file"):
                self._form["fields"][a["name"]] = a.get("value", "")
        elif tag == "button" and (a.get("type") or "submit").lower() == "submit":
            self._form["buttons"] += 1

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def assert_unsubscribed_once(h, recipient=RCPT, domain=DOMAIN):
    """A genuine click unsubscribes `recipient`, and its event is the only `unsubscribed`
    event: whatever was requested before made none."""
    [event] = wait_events(h, "unsubscribed", recipient=recipient)
    assert event.get("domain") == domain, event
    assert [e.get("recipient") for e in read_events(h, "unsubscribed")] == [recipient]
    h.wait_for(lambda: is_suppressed(h, recipient, domain), what=f"{recipient} suppressed")


# -- the headers --------------------------------------------------------------------------------

def test_a_message_to_one_recipient_gets_one_click_headers_that_the_dkim_signature_covers(
        make_herald, smtp_receiver, dns_zone, tmp_path):
    h, receiver, published = with_dkim(make_herald, smtp_receiver, dns_zone, tmp_path)
    sent = send(h, SENDER, [RCPT])
    raw = delivered(h, receiver, sent)
    link = link_of(raw)
    assert link.startswith(f"{h.base_url}/"), link
    assert fields(raw, "List-Unsubscribe-Post") == [ONE_CLICK], header_fields(raw)
    [signature] = signatures(raw)
    names = signed_header_names(signature)
    assert "list-unsubscribe" in names and "list-unsubscribe-post" in names, names
    assert dkim.verify(raw, dnsfunc=published), raw[:1500]
    # Covered, so a changed or dropped field breaks the signature.
    payload, mac = token_parts(link)
    assert not dkim.verify(raw.replace(mac.encode(), flipped(mac).encode()), dnsfunc=published)
    without_post = re.sub(rb"(?im)^List-Unsubscribe-Post:[^\r\n]*\r?\n", b"", raw)
    assert without_post != raw and not dkim.verify(without_post, dnsfunc=published)
    # The token names the sender domain, no list, the recipient, and expires in 180 days.
    claim = claim_of(link)
    assert (claim["domain"], claim["list"], claim["recipient"]) == (DOMAIN, "", RCPT), claim
    assert abs(claim["expires"] - (time.time() + 180 * DAY)) < DAY, claim
    assert unsubscribe_notes(h, sent.id) == []


def test_the_link_names_the_list_id_and_lasts_the_configured_lifetime(make_herald,
                                                                       smtp_receiver):
    h, receiver = start(make_herald, smtp_receiver, unsubscribe={"lifetime": "7d"})
    sent = send(h, SENDER, [RCPT], extra_headers=[f"List-Id: Example News <{LIST}>"])
    claim = claim_of(link_of(delivered(h, receiver, sent)))
    assert (claim["domain"], claim["list"], claim["recipient"]) == (DOMAIN, LIST, RCPT), claim
    assert abs(claim["expires"] - (time.time() + 7 * DAY)) < DAY, claim


def test_a_message_with_two_recipients_gets_no_link_and_a_mainlog_line(make_herald,
                                                                        smtp_receiver):
    h, receiver = start(make_herald, smtp_receiver)
    sent = send(h, SENDER, [RCPT, RCPT2])
    [note] = h.wait_for(lambda: unsubscribe_notes(h, sent.id), what="the unsubscribe note")
    assert "unsubscribe: no List-Unsubscribe added: 2 recipients share the message" in note, note
    for rcpt in (RCPT, RCPT2):
        raw = delivered(h, receiver, sent, rcpt)
        assert fields(raw, "List-Unsubscribe") == [], header_fields(raw)
        assert fields(raw, "List-Unsubscribe-Post") == [], header_fields(raw)


def test_a_message_with_its_own_one_click_headers_keeps_them_as_they_are(make_herald,
                                                                          smtp_receiver):
    h, receiver = start(make_herald, smtp_receiver)
    own = "<mailto:leave@example.com?subject=unsubscribe>, <https://lists.example.com/u/abc123>"
    sent = send(h, SENDER, [RCPT], extra_headers=[f"List-Unsubscribe: {own}",
                                                  f"List-Unsubscribe-Post: {ONE_CLICK}"])
    raw = delivered(h, receiver, sent)
    assert fields(raw, "List-Unsubscribe") == [own], header_fields(raw)
    assert fields(raw, "List-Unsubscribe-Post") == [ONE_CLICK], header_fields(raw)
    h.wait_for(lambda: h.completed(sent.id), what=f"{sent.id} Completed")
    assert unsubscribe_notes(h, sent.id) == []


# (the message's own fields, a word the mainlog line's reason should have)
NOT_ONE_CLICK = {
    "mailto-only": (["List-Unsubscribe: <mailto:leave@example.com?subject=unsubscribe>",
                     f"List-Unsubscribe-Post: {ONE_CLICK}"], "https"),
    "http-not-https": (["List-Unsubscribe: <http://lists.example.com/u/abc123>",
                        f"List-Unsubscribe-Post: {ONE_CLICK}"], "https"),
    "no-post": (["List-Unsubscribe: <https://lists.example.com/u/abc123>"],
                "List-Unsubscribe-Post"),
    "wrong-post": (["List-Unsubscribe: <https://lists.example.com/u/abc123>",
                    "List-Unsubscribe-Post: List-Unsubscribe=Yes"], "List-Unsubscribe-Post"),
}


@pytest.mark.parametrize("case", NOT_ONE_CLICK.values(), ids=NOT_ONE_CLICK.keys())
def test_own_headers_that_are_not_one_click_stand_and_the_mainlog_says_why(make_herald,
                                                                            smtp_receiver, case):
    own, word = case
    h, receiver = start(make_herald, smtp_receiver)
    sent = send(h, SENDER, [RCPT], extra_headers=own)
    [note] = h.wait_for(lambda: unsubscribe_notes(h, sent.id), what="the unsubscribe note")
    prefix = "unsubscribe: the message's own headers stand, but are not one-click (RFC 8058): "
    assert prefix in note, note
    assert word in note.split(prefix, 1)[1], note
    raw = delivered(h, receiver, sent)
    for name in ("List-Unsubscribe", "List-Unsubscribe-Post"):
        given = [f.split(":", 1)[1].strip() for f in own if f.startswith(f"{name}:")]
        assert fields(raw, name) == given, (name, header_fields(raw))


def test_mail_from_a_sender_domain_not_in_senders_gets_nothing(make_herald, smtp_receiver):
    h, receiver = start(make_herald, smtp_receiver)
    sent = send(h, OTHER_SENDER, [RCPT])
    raw = delivered(h, receiver, sent)
    assert fields(raw, "List-Unsubscribe") == [] and fields(raw, "List-Unsubscribe-Post") == []
    # Not even a note for two recipients: the domain is none of Herald's business here.
    two = send(h, OTHER_SENDER, [RCPT, RCPT2])
    h.wait_for(lambda: h.completed(sent.id) and h.completed(two.id), what="both Completed")
    assert unsubscribe_notes(h, sent.id) == [] and unsubscribe_notes(h, two.id) == []


def test_senders_star_gives_every_sender_domain_links(make_herald, smtp_receiver):
    h, receiver = start(make_herald, smtp_receiver, senders=("*",))
    sent = send(h, OTHER_SENDER, [RCPT])
    raw = delivered(h, receiver, sent)
    assert fields(raw, "List-Unsubscribe-Post") == [ONE_CLICK]
    assert claim_of(link_of(raw))["domain"] == OTHER


# -- the links ----------------------------------------------------------------------------------

def unsubscribe_from(h, receiver, extra_headers=()):
    """The first message to RCPT delivered with its link, the link clicked as a mail client
    does (200, no cookie): the `unsubscribed` event."""
    link = link_of(delivered(h, receiver, send(h, SENDER, [RCPT], extra_headers=extra_headers)))
    assert not is_suppressed(h, RCPT, DOMAIN)
    answer = click(link)
    assert answer.status_code == 200, (answer.status_code, answer.text[:500])
    assert "set-cookie" not in {k.lower() for k in answer.headers}, answer.headers
    [event] = wait_events(h, "unsubscribed", recipient=RCPT)
    assert event.get("domain") == DOMAIN, event
    assert event.get("reason"), event
    h.wait_for(lambda: requests_counted(h, "unsubscribed") >= 1, what="the click counted")
    assert requests_counted(h, "unsubscribed") == 1
    return event


def test_a_post_unsubscribes_and_the_next_message_is_refused_at_rcpt(make_herald, smtp_receiver):
    """A message without List-Id: the link names the sender domain, and the click puts the
    recipient on that domain's list, refused at RCPT from then on."""
    h, receiver = start(make_herald, smtp_receiver)
    event = unsubscribe_from(h, receiver)
    assert event.get("list") in (None, ""), event

    # On the sender domain's list, and only there.
    suppressed, out = h.wait_for(lambda: (lambda r: r if r[0] else None)(check(h, RCPT, DOMAIN)),
                                 what=f"{RCPT} on {DOMAIN}'s list")
    assert "unsubscribed" in out, out
    assert not is_suppressed(h, RCPT, OTHER)
    assert not is_suppressed(h, RCPT), "an unsubscribe must not make a global entry"
    assert not is_suppressed(h, RCPT2, DOMAIN)

    with submission(h) as s:
        assert s.mail(SENDER)[0] == 250
        code, text = s.rcpt(RCPT)
        text = text.decode("utf-8", "replace")
        assert code == 550, (code, text)
        match = refusal_pattern(RCPT).match(text)
        assert match and match.group("date") in plausible_dates(), text
        assert "unsubscribed" in match.group("reason"), text
        assert s.rcpt(RCPT2)[0] == 250
        s.rset()
        # Another sender domain's mail still goes to the recipient.
        other = transaction(s, OTHER_SENDER, [RCPT], message(sender=OTHER_SENDER, to=RCPT))
    h.wait_for(lambda: h.completed(other), what=f"{other} Completed")
    assert [m.mail_from for m in receiver.delivered_to(RCPT)] == [SENDER, OTHER_SENDER]


def test_an_unsubscribe_from_a_list_stops_that_list_only(make_herald, smtp_receiver):
    """A message with List-Id: the click puts the recipient on that list of the sender domain
    (scope DOMAIN:LIST). The next message of the list is refused at end of DATA (its List-Id is
    known only then); with another recipient beside, it is accepted and the one who left is
    dropped at delivery; the domain's other mail still reaches the recipient."""
    h, receiver = start(make_herald, smtp_receiver)
    news = [f"List-Id: Example News <{LIST}>"]
    event = unsubscribe_from(h, receiver, news)
    assert event.get("list") == LIST, event
    scope = f"{DOMAIN}:{LIST}"
    h.wait_for(lambda: is_suppressed(h, RCPT, scope), what=f"{RCPT} on {scope}")
    assert not is_suppressed(h, RCPT, DOMAIN), "one list left, not the whole domain"

    # The list's next message to the recipient alone: 550 at end of DATA.
    with submission(h) as s:
        assert s.mail(SENDER)[0] == 250
        assert s.rcpt(RCPT)[0] == 250  # the list is not known at RCPT
        code, text = s.data(message(sender=SENDER, to=RCPT, extra_headers=news))
        text = text.decode("utf-8", "replace")
        assert code == 550, (code, text)
        match = refusal_pattern(RCPT).match(text)
        assert match and f"unsubscribed from {LIST}" in match.group("reason"), text
    suppressed = wait_events(h, "suppressed", recipient=RCPT)
    assert suppressed, "the refusal is an event"

    # With a recipient who stays: accepted; RCPT dropped at delivery, RCPT2 gets it.
    both = send(h, SENDER, [RCPT, RCPT2], extra_headers=news)
    delivered(h, receiver, both, RCPT2)
    h.wait_for(lambda: h.completed(both.id), what=f"{both.id} Completed")
    assert any(f"** {RCPT}" in line and "T=suppression" in line
               for line in h.mainlog().splitlines() if both.id in line), h.mainlog()
    assert not [m for m in receiver.delivered_to(RCPT) if both.subject.encode() in m.data]

    # Another list, and one-to-one mail, of the same sender domain still reach the recipient.
    offers = send(h, SENDER, [RCPT], extra_headers=["List-Id: Offers <offers.example.com>"])
    plain = send(h, SENDER, [RCPT])
    delivered(h, receiver, offers)
    delivered(h, receiver, plain)


def test_a_mail_to_the_mailto_address_unsubscribes_with_the_token_in_its_subject(
        make_herald, smtp_receiver):
    """[unsubscribe] mailto, an address at [bounces] domain: List-Unsubscribe carries a mailto
    after the https link, with the link's token as its subject (RFC 2369). A mail client's
    unsubscribe mail there is read and never queued, and unsubscribes as the POST does; one
    whose subject holds no valid token is counted and unsubscribes no one."""
    mailto = "unsubscribe@bounces.example.com"
    h, receiver = start(make_herald, smtp_receiver, unsubscribe={"mailto": mailto},
                        bounces={"domain": "bounces.example.com"})
    [value] = fields(delivered(h, receiver, send(h, SENDER, [RCPT])), "List-Unsubscribe")
    value = " ".join(value.split())  # unfolded
    match = re.fullmatch(r"<https://\S+/u/(\S+)>, <mailto:" + re.escape(mailto) +
                         r"\?subject=(\S+)>", value)
    assert match and match.group(1) == match.group(2), value
    token = match.group(1)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")

    with submission(h) as s:
        for subject in (forged, token):
            data = message(sender=OTHER_SENDER, to=mailto, subject=subject)
            assert s.sendmail(OTHER_SENDER, [mailto], data) == {}
    [event] = wait_events(h, "unsubscribed", recipient=RCPT)
    assert event.get("domain") == DOMAIN, event
    assert event.get("reason", "").startswith("mailto unsubscribe from "), event
    h.wait_for(lambda: is_suppressed(h, RCPT, DOMAIN), what=f"{RCPT} on {DOMAIN}'s list")
    assert requests_counted(h, "unsubscribed") == 1
    assert requests_counted(h, "forged") + requests_counted(h, "malformed") == 1
    assert not receiver.delivered_to(mailto), "unsubscribe mail is read, never delivered"
    assert " <= " not in "".join(l for l in h.mainlog().splitlines() if mailto in l)


def test_a_get_shows_a_page_with_a_button_and_unsubscribes_no_one(make_herald, smtp_receiver):
    h, receiver = start(make_herald, smtp_receiver)
    link = link_of(delivered(h, receiver, send(h, SENDER, [RCPT])))
    page = https("GET", link)
    assert page.status_code == 200, (page.status_code, page.text[:500])
    assert page.headers.get("Content-Type", "").startswith("text/html"), page.headers
    assert "set-cookie" not in {k.lower() for k in page.headers}, page.headers
    assert RCPT in page.text, page.text
    posting = [f for f in Forms(page.text).forms if f["method"] == "post" and f["buttons"]]
    assert posting, f"no form with method post and a button: {page.text}"
    assert requests_counted(h, "page") == 1
    assert requests_counted(h, "unsubscribed") == 0
    assert not is_suppressed(h, RCPT, DOMAIN)
    # The button, pressed as a browser would, unsubscribes (the GET made no event before it).
    form = posting[0]
    answer = https("POST", urljoin(link, form["action"]), data=form["fields"])
    assert answer.status_code == 200, (answer.status_code, answer.text[:500])
    assert_unsubscribed_once(h)


def forged_payload(payload, mac):
    """A link's mac on a payload naming VICTIM instead of its recipient."""
    expires, domain, list_id, _ = from_b64url(payload).decode().split("\n")
    return b64url(f"{expires}\n{domain}\n{list_id}\n{VICTIM}".encode()) + "." + mac


# (the token sent instead of the real one, made from its payload and mac; the count it adds to)
DAMAGED = {
    "mac-changed": (lambda p, m: f"{p}.{flipped(m)}", "forged"),
    "payload-changed": (lambda p, m: f"{flipped(p)}.{m}", "forged"),
    "mac-on-another-recipient": (forged_payload, "forged"),
    "mac-truncated": (lambda p, m: f"{p}.{m[:-3]}", "forged"),
    "no-mac": (lambda p, m: p, "malformed"),
    "garbage": (lambda p, m: "***.***", "malformed"),
    "empty": (lambda p, m: "", "malformed"),
}


@pytest.mark.parametrize("case", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_link_gets_403_is_counted_and_unsubscribes_no_one(make_herald, smtp_receiver,
                                                                     case):
    damage, result = case
    h, receiver = start(make_herald, smtp_receiver)
    link = link_of(delivered(h, receiver, send(h, SENDER, [RCPT])))
    bad = f"{h.base_url}/{damage(*token_parts(link))}"
    assert bad != link
    for method in ("GET", "POST"):
        answer = https(method, bad, data={"List-Unsubscribe": "One-Click"}
                       if method == "POST" else None)
        assert answer.status_code == 403, (method, answer.status_code, answer.text[:500])
    h.wait_for(lambda: requests_counted(h, result) >= 2, what=f"two {result} requests counted")
    assert requests_counted(h, result) == 2
    for other in {"forged", "malformed", "unsubscribed", "page"} - {result}:
        assert requests_counted(h, other) == 0, other
    assert not is_suppressed(h, RCPT, DOMAIN) and not is_suppressed(h, VICTIM, DOMAIN)
    # The real link still works, and its event is the only one.
    assert click(link).status_code == 200
    assert_unsubscribed_once(h)
    assert not is_suppressed(h, VICTIM, DOMAIN)


def test_put_and_delete_get_405(make_herald, smtp_receiver):
    h, receiver = start(make_herald, smtp_receiver)
    link = link_of(delivered(h, receiver, send(h, SENDER, [RCPT])))
    for method in ("PUT", "DELETE"):
        answer = https(method, link, data={"List-Unsubscribe": "One-Click"})
        assert answer.status_code == 405, (method, answer.status_code, answer.text[:500])
        allowed = {m.strip().upper() for m in answer.headers.get("Allow", "").split(",")}
        assert {"GET", "POST"} <= allowed, answer.headers  # RFC 9110 15.5.6
    assert requests_counted(h, "unsubscribed") == 0
    assert not is_suppressed(h, RCPT, DOMAIN)
    assert click(link).status_code == 200
    assert_unsubscribed_once(h)


def test_links_still_work_after_a_restart(make_herald, smtp_receiver):
    h, receiver = start(make_herald, smtp_receiver)
    link = link_of(delivered(h, receiver, send(h, SENDER, [RCPT])))
    key = h.spool_dir / "unsubscribe.key"
    assert key.is_file() and stat.S_IMODE(key.stat().st_mode) & 0o077 == 0, oct(
        key.stat().st_mode)
    h.restart()
    answer = click(link)
    assert answer.status_code == 200, (answer.status_code, answer.text[:500])
    assert_unsubscribed_once(h)


def test_without_unsubscribe_in_add_on_a_click_is_an_event_but_no_list_entry(make_herald,
                                                                              smtp_receiver):
    h, receiver = start(make_herald, smtp_receiver,
                        suppression={"add_on": ["invalid-recipient", "bad-domain"]})
    link = link_of(delivered(h, receiver, send(h, SENDER, [RCPT])))
    assert click(link).status_code == 200
    wait_events(h, "unsubscribed", recipient=RCPT, domain=DOMAIN)
    # The list is written before the event reaches the file sink, so this is final.
    assert not is_suppressed(h, RCPT, DOMAIN)
    with submission(h) as s:
        assert s.mail(SENDER)[0] == 250
        assert s.rcpt(RCPT)[0] == 250


# -- configuration ------------------------------------------------------------------------------

# (listener modes, [unsubscribe] or None, a word the error should have; None: the file is good)
CONFIGS = {
    "good": (("submission", "unsubscribe"), {"senders": [DOMAIN]}, None),
    "good-star": (("submission", "unsubscribe"), {"senders": ["*"], "lifetime": "1d"}, None),
    "url-without-listener": (("submission",), {"senders": [DOMAIN]}, "unsubscribe"),
    "listener-without-url": (("submission", "unsubscribe"), None, "url"),
    "http-url": (("submission", "unsubscribe"), {"senders": [DOMAIN], "url": "http://"}, "url"),
    "no-senders": (("submission", "unsubscribe"), {}, "senders"),
    "bad-sender": (("submission", "unsubscribe"), {"senders": ["not a domain!"]}, "senders"),
    "short-lifetime": (("submission", "unsubscribe"), {"senders": [DOMAIN], "lifetime": "12h"},
                       "lifetime"),
}


@pytest.mark.parametrize("case", CONFIGS.values(), ids=CONFIGS.keys())
def test_check_config_wants_url_and_listener_together(make_herald, case):
    modes, unsubscribe, word = case
    h = make_herald(listeners=modes, start=False)
    port = h.port("unsubscribe") if "unsubscribe" in modes else free_port()
    for listener in h.config["listener"]:
        if listener["mode"] == "unsubscribe":
            listener["tls"] = True
    if unsubscribe is not None:
        section = {"url": f"https://127.0.0.1:{port}/u", **unsubscribe}
        if section["url"] == "http://":
            section["url"] = f"http://127.0.0.1:{port}/u"
        h.config["unsubscribe"] = section
    h.write_config()
    result = h.cli("check-config")
    # Without the file's path, whose directory is named after the test.
    said = (result.stdout + result.stderr).decode("utf-8", "replace").replace(
        str(h.config_path), "").replace(str(h.dir), "")
    if word is None:
        assert result.returncode == 0, said
    else:
        assert result.returncode == 2, said
        assert word in said, said
