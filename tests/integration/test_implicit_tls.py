"""The submissions listener: TLS from the first byte (RFC 8314), then AUTH and MAIL."""
import socket
import ssl

from herald_fixture import HOSTNAME, message, openssl_passwd, queued_id

PASSWORD = "s3cret-implicit"


def start(make_herald):
    users = [{"name": "carol", "password_hash": openssl_passwd(PASSWORD),
              "sender_domains": ["client.herald.test"]}]
    return make_herald(listeners=("submissions",), user=users)


def test_implicit_tls_auth_and_send(make_herald):
    h = start(make_herald)
    with h.smtp("submissions") as s:
        code, text = s.ehlo("client.herald.test")
        assert code == 250
        assert isinstance(s.sock, ssl.SSLSocket)
        assert not s.has_extn("starttls"), "STARTTLS offered inside implicit TLS"
        assert s.has_extn("auth")
        code, text = s.mail("carol@client.herald.test")
        assert code == 530, "MAIL before AUTH accepted on submissions"
        s.login("carol", PASSWORD)
        s.mail("carol@client.herald.test")
        code, text = s.rcpt("dest@example.net")
        assert code == 250, text
        code, text = s.data(message(sender="carol@client.herald.test"))
        assert code == 250, text
        msg_id = queued_id(text)
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")


def test_swaks_tls_on_connect(make_herald):
    h = start(make_herald)
    result = h.swaks("--tlsc", "--auth", "PLAIN", "--auth-user", "carol", "--auth-password",
                     PASSWORD, "--from", "carol@client.herald.test", "--to", "d@example.net",
                     mode="submissions")
    assert result.returncode == 0, result.stdout + result.stderr
    queued_id(result.stdout)


def test_plaintext_client_gets_no_smtp_greeting(make_herald):
    h = start(make_herald)
    with socket.create_connection(("127.0.0.1", h.port("submissions")), timeout=10) as sock:
        sock.sendall(b"EHLO client.herald.test\r\n")
        try:
            data = sock.recv(4096)
        except (socket.timeout, ConnectionError):
            data = b""
        assert not data.startswith(b"220 "), data
    # The server survives the garbage handshake.
    with h.smtp("submissions") as s:
        assert s.ehlo("client.herald.test")[0] == 250
        assert s.ehlo_resp.decode().startswith(HOSTNAME)
