"""SMTP AUTH (RFC 4954) PLAIN and LOGIN on the submission listener, good and bad."""
import base64
import smtplib

import pytest

from herald_fixture import insecure_tls, message, openssl_passwd, queued_id

PASSWORD = "correct horse battery"


@pytest.fixture
def submission(make_herald):
    def make(**extra):
        users = [{"name": "alice", "password_hash": openssl_passwd(PASSWORD),
                  "sender_domains": ["client.herald.test"]}]
        return make_herald(listeners=("relay", "submission"), user=users, **extra)
    return make


def tls_session(h):
    s = h.smtp("submission")
    s.ehlo("client.herald.test")
    s.starttls(context=insecure_tls())
    s.ehlo("client.herald.test")
    return s


def b64(text):
    return base64.b64encode(text.encode()).decode()


def test_no_auth_offered_or_accepted_in_the_clear(submission):
    h = submission()
    with h.raw("submission") as c:
        c.reply()
        features = [t.upper() for t in c.ehlo()]
        assert not any(f.startswith("AUTH") for f in features), features
        assert "STARTTLS" in features
        code, texts = c.cmd(f"AUTH PLAIN {b64(chr(0) + 'alice' + chr(0) + PASSWORD)}")
        assert 500 <= code < 600, (code, texts)
        code, texts = c.cmd("MAIL FROM:<alice@client.herald.test>")
        assert code == 530 and texts[0].startswith("5.7.0"), (code, texts)


def test_mail_before_auth_is_refused_under_tls_too(submission):
    h = submission()
    with tls_session(h) as s:
        assert "PLAIN" in s.esmtp_features["auth"].upper()
        assert "LOGIN" in s.esmtp_features["auth"].upper()
        code, text = s.mail("alice@client.herald.test")
        assert code == 530 and text.startswith(b"5.7.0"), (code, text)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_good_password_authenticates_and_may_relay(submission, mechanism):
    h = submission()
    with tls_session(h) as s:
        s.user, s.password = "alice", PASSWORD
        authobject = s.auth_plain if mechanism == "PLAIN" else s.auth_login
        code, text = s.auth(mechanism, authobject, initial_response_ok=(mechanism == "PLAIN"))
        assert code == 235 and text.startswith(b"2.7.0"), (code, text)
        code, text = s.mail("alice@client.herald.test")
        assert code == 250, text
        code, text = s.rcpt("someone@example.net")  # not local: relayed for alice
        assert code == 250, text
        code, text = s.data(message(sender="alice@client.herald.test"))
        assert code == 250, text
        msg_id = queued_id(text)
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")


@pytest.mark.parametrize("user,password", [("alice", "wrong"), ("mallory", PASSWORD)])
def test_bad_credentials_get_535_and_are_logged(submission, user, password):
    h = submission()
    with tls_session(h) as s:
        s.user, s.password = user, password
        with pytest.raises(smtplib.SMTPAuthenticationError) as failure:
            s.auth("PLAIN", s.auth_plain)
        assert failure.value.smtp_code == 535
        assert failure.value.smtp_error.startswith(b"5.7.8"), failure.value.smtp_error
        code, _ = s.mail("alice@client.herald.test")
        assert code == 530
    h.wait_for(lambda: "535" in h.rejectlog(), what="the failed AUTH in rejectlog")


def test_sender_outside_sender_domains_is_refused(submission):
    h = submission()
    with tls_session(h) as s:
        s.login("alice", PASSWORD)
        code, text = s.mail("alice@other-domain.test")
        assert code == 553 and text.startswith(b"5.7.1"), (code, text)
        code, text = s.mail("alice@client.herald.test")
        assert code == 250, text


def test_malformed_auth_exchanges_get_5xx(submission):
    h = submission()
    with h.raw("submission") as c:
        c.reply()
        c.ehlo()
        c.starttls()
        c.ehlo()
        code, texts = c.cmd("AUTH PLAIN !!!not-base64!!!")
        assert code == 501, (code, texts)
        code, texts = c.cmd("AUTH LOGIN")
        assert code == 334, (code, texts)
        code, texts = c.cmd("*")  # RFC 4954 4: the client cancels
        assert code == 501, (code, texts)
        code, texts = c.cmd("AUTH CRAM-SHA9000")
        assert code == 504, (code, texts)
        # Still usable: a good AUTH after all that works.
        code, texts = c.cmd(f"AUTH PLAIN {b64(chr(0) + 'alice' + chr(0) + PASSWORD)}")
        assert code == 235, (code, texts)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_swaks_auth_over_starttls(submission, mechanism):
    h = submission()
    result = h.swaks("--tls", "--auth", mechanism, "--auth-user", "alice", "--auth-password",
                     PASSWORD, "--from", "alice@client.herald.test", "--to", "x@example.net",
                     mode="submission")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "235 " in result.stdout
    queued_id(result.stdout)


def test_swaks_bad_password_fails(submission):
    h = submission()
    result = h.swaks("--tls", "--auth", "LOGIN", "--auth-user", "alice", "--auth-password",
                     "nope", "--from", "alice@client.herald.test", "--to", "x@example.net",
                     mode="submission")
    assert result.returncode != 0
    assert "535 5.7.8" in result.stdout, result.stdout


def test_plaintext_auth_on_loopback_when_allowed(submission):
    h = submission(smtp={"allow_plaintext_auth_on_loopback": True})
    with h.smtp("submission") as s:
        s.ehlo("client.herald.test")
        assert s.has_extn("auth"), s.ehlo_resp
        s.login("alice", PASSWORD)
        code, text = s.mail("alice@client.herald.test")
        assert code == 250, text



def test_authenticated_relay_is_refused_on_relay_listeners_by_default(submission):
    """block_auth_relay_on_relay_listeners (default true): AUTH on port-25 style listeners
    does not open relaying; that is what submission is for."""
    h = submission(relay={"networks": []})
    with h.smtp("relay") as s:
        s.ehlo("client.herald.test")
        s.starttls(context=insecure_tls())
        s.ehlo("client.herald.test")
        if s.has_extn("auth"):
            try:
                s.login("alice", PASSWORD)
            except smtplib.SMTPException:
                pass  # refusing AUTH here is fine too
        assert s.mail("alice@client.herald.test")[0] == 250
        code, text = s.rcpt("someone@example.net")
        assert code == 554 and text.startswith(b"5.7.1"), (code, text)
