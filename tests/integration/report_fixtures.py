"""The reports that come back to the bounce domain, as the big providers and the common MTAs
send them: one file each in reports/ (reports/README.md says where each comes from), with
placeholders a test fills in.

    render("gmail_dsn", RETURN_PATH=verp, RECIPIENT="jane@example.net") -> bytes (CRLF)

A fixture is named with or without its ".eml"; a placeholder's keyword in either case
(RETURN_PATH=... or return_path=...). Placeholders (every one has a default, so a test names
only those it checks):
- {{RETURN_PATH}}: the VERP address Herald sent from. A DSN is addressed To it and the
  returned original carries it as Return-Path; an ARF report's original carries it.
- {{RECIPIENT}}: the original recipient (Final-Recipient, Original-Rcpt-To, the original's To).
- {{MESSAGE_ID}}: the original's Message-ID, with its angle brackets.
- {{SENDER}}: the original's From address.
- {{REMOTE_MTA}}: the receiving host the reporting MTA talked to.

FIXTURES says what Herald should make of each, sent to a VERP address that verifies (a DSN)
or to [bounces] fbl_address (an ARF report):
- kind: what it is: "dsn" (a bounce or delay notice, in whatever format), "arf" (a feedback
  report), "none" (neither);
- read_from: where the parser (src/reports/report_parser.hpp) finds what matters:
  "delivery-status" (the message/delivery-status part), "feedback-report", "text" (no usable
  report part: the reply code in the text, through find_reply_in_text), or None (nothing);
- action, status: of the recipient; status is the Status field as written (Exim and sendmail
  write 5.0.0 whatever the reply said), or when read from the text the code in the reply;
- category: the bounce category (docs/events.md) a classifier should give, reading the
  diagnostic as well as the status;
- reply: when read from the text, the reply found there;
- feedback_type: of an ARF report;
- event: the event type it becomes ("bounced", "deferred", "complaint"), None when it is
  dropped (an ARF report without its original message names no return path; a message with
  no report part and no reply code in it).
"""
import re
from pathlib import Path

REPORTS_DIR = Path(__file__).resolve().parent / "reports"

DEFAULTS = {
    "return_path": "b+0123456789abcdefghij.abcdefghijklmnop=jane=example.net@bounces.example.com",
    "recipient": "jane@example.net",
    "message_id": "<20261203091229.4f2a@shop.example.com>",
    "sender": "news@shop.example.com",
    "remote_mta": "mx1.example.net",
}

_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


def _base(name):
    return name[:-len(".eml")] if name.endswith(".eml") else name


def render(name, **values) -> bytes:
    """The fixture `name` with its placeholders filled in (DEFAULTS for those not given), with
    CRLF line ends, ready for SMTP DATA."""
    given = {key.lower(): value for key, value in values.items()}
    unknown = set(given) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown placeholder(s) {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    filled = {**DEFAULTS, **given}
    text = (REPORTS_DIR / (_base(name) + ".eml")).read_text(encoding="utf-8")

    def substitute(match):
        key = match.group(1).lower()
        if key not in filled:
            raise ValueError(f"{name}: unknown placeholder {match.group(0)}")
        return filled[key]

    text = _PLACEHOLDER.sub(substitute, text)
    text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return text.encode("utf-8")


class _Fixtures(dict):
    """Keyed by the fixture's name without ".eml"; looked up with or without it."""

    def __getitem__(self, name):
        return super().__getitem__(_base(name))

    def __contains__(self, name):
        return super().__contains__(_base(name))

    def get(self, name, default=None):
        return super().get(_base(name), default)


FIXTURES = _Fixtures({
    "gmail_dsn": {
        "kind": "dsn", "read_from": "delivery-status", "action": "failed", "status": "5.1.1",
        "category": "invalid-recipient", "event": "bounced",
    },
    "microsoft_ndr": {
        "kind": "dsn", "read_from": "delivery-status", "action": "failed", "status": "5.1.10",
        "category": "invalid-recipient", "event": "bounced",
    },
    # sendmail relaying to Yahoo: 554 without an enhanced code, so Status 5.0.0; the
    # category comes from the text ("This user doesn't have a yahoo.com account").
    "yahoo_dsn": {
        "kind": "dsn", "read_from": "delivery-status", "action": "failed", "status": "5.0.0",
        "category": "invalid-recipient", "event": "bounced",
    },
    "postfix_dsn": {
        "kind": "dsn", "read_from": "delivery-status", "action": "failed", "status": "5.2.2",
        "category": "mailbox-full", "event": "bounced",
    },
    # Exim writes Status: 5.0.0 for every failure; the reply in Diagnostic-Code is 550 5.1.1.
    "exim_dsn": {
        "kind": "dsn", "read_from": "delivery-status", "action": "failed", "status": "5.0.0",
        "category": "invalid-recipient", "event": "bounced",
    },
    "exim_legacy": {
        "kind": "dsn", "read_from": "text", "action": "failed", "status": "5.1.1",
        "category": "invalid-recipient", "reply": "550 5.1.1 User unknown", "event": "bounced",
    },
    # "connect to ...: Connection timed out": RFC 3463 X.4.x, network and routing.
    "delayed_dsn": {
        "kind": "dsn", "read_from": "delivery-status", "action": "delayed", "status": "4.4.1",
        "category": "routing-errors", "event": "deferred",
    },
    "arf_yahoo": {
        "kind": "arf", "read_from": "feedback-report", "feedback_type": "abuse",
        "event": "complaint",
    },
    "arf_microsoft_jmrp": {
        "kind": "arf", "read_from": "feedback-report", "feedback_type": "abuse",
        "event": "complaint",
    },
    "arf_rfc5965": {
        "kind": "arf", "read_from": "feedback-report", "feedback_type": "abuse",
        "event": "complaint",
    },
    # The delivery-status part is unusable (fields without colons, Status: 5.1, no final
    # boundary): the reply in the notification text is used instead.
    "malformed_dsn": {
        "kind": "dsn", "read_from": "text", "action": "failed", "status": "5.1.1",
        "category": "invalid-recipient",
        "reply": "550 5.1.1 Recipient address rejected: User unknown (in reply to RCPT TO command)",
        "event": "bounced",
    },
    # Nothing in it names a return path: dropped (herald_reports_total{kind="arf"}).
    "arf_no_original": {
        "kind": "arf", "read_from": "feedback-report", "feedback_type": "abuse",
        "event": None,
    },
    "not_a_report": {"kind": "none", "read_from": None, "event": None},
})
