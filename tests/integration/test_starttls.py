"""STARTTLS (RFC 3207) with the generated self-signed certificate and with a configured one."""
import ssl

from herald_fixture import HOSTNAME, insecure_tls, make_ca_and_cert, message, queued_id


def test_starttls_with_generated_certificate(make_herald):
    h = make_herald()
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        assert s.has_extn("starttls")
        code, text = s.starttls(context=insecure_tls())
        assert code == 220, text
        s.ehlo("client.herald.test")
        # RFC 3207 4.2: no STARTTLS once TLS is on.
        assert not s.has_extn("starttls"), s.ehlo_resp
        assert s.sock.version() is not None  # TLS is really up
        s.mail("alice@client.herald.test")
        s.rcpt("bob@example.net")
        code, text = s.data(message(subject="over tls"))
        assert code == 250, text
        msg_id = queued_id(text)
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")


def test_generated_certificate_use_is_warned_about(make_herald):
    h = make_herald()
    text = (h.stdout() + h.stderr() + h.mainlog()).lower()
    assert "self-signed" in text, "the generated certificate's use is not logged as a warning"


def test_swaks_starttls(make_herald):
    h = make_herald()
    result = h.swaks("--tls", "--from", "alice@client.herald.test", "--to", "bob@example.net")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "STARTTLS" in result.stdout
    queued_id(result.stdout)


def test_starttls_with_configured_certificate_verifies(make_herald, tmp_path):
    ca, cert, key = make_ca_and_cert(tmp_path / "pki")
    h = make_herald(tls={"cert": str(cert), "key": str(key)})
    ctx = ssl.create_default_context(cafile=str(ca))
    # smtplib verifies against the address it connected to (IP SAN 127.0.0.1).
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        code, _ = s.starttls(context=ctx)
        assert code == 220
        s.ehlo("client.herald.test")
        assert not s.has_extn("starttls")
    # And by name, as a peer that looked up the MX would.
    with h.raw() as c:
        c.reply()
        c.ehlo()
        c.starttls(context=ctx, server_hostname=HOSTNAME)
        assert dict(x[0] for x in c.sock.getpeercert()["subject"])["commonName"] == HOSTNAME
        assert not any(t.upper().startswith("STARTTLS") for t in c.ehlo())
        assert c.cmd("QUIT")[0] == 221


def test_starttls_with_garbage_arguments_is_refused(make_herald):
    h = make_herald()
    with h.raw() as c:
        c.reply()
        c.ehlo()
        code, _ = c.cmd("STARTTLS now please")
        assert code == 501
        # The session is still usable in the clear.
        assert c.cmd("NOOP")[0] == 250


def test_commands_pipelined_after_starttls_are_discarded(make_herald):
    """RFC 3207 / CVE-2011-0411: plaintext sent after STARTTLS must not run inside TLS."""
    h = make_herald()
    with h.raw() as c:
        c.reply()
        c.ehlo()
        c.send("STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n")
        code, _ = c.reply()
        assert code == 220
        try:
            c.sock = insecure_tls().wrap_socket(c.sock)
            c.ehlo()
            code, texts = c.cmd("RCPT TO:<bob@example.net>")
        except (ssl.SSLError, ConnectionError):
            return  # refusing the session outright is safe too
        # The injected MAIL was thrown away with the plaintext buffer: RCPT has no MAIL.
        assert code == 503, (code, texts)
