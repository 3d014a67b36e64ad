"""AUTH failure throttling (issue 14): failures are counted per client address and per user
name across connections; after [limits] auth_failures_before_lockout (default 10) AUTH is
refused with 454 4.7.0 for auth_lockout, the right password included, and the rejectlog names
the user tried, never the password. Other users from other addresses are not affected, and a
reload does not reset the count."""
import base64
import smtplib

from herald_fixture import openssl_passwd

ALICE_PASSWORD = "correct horse battery"
BOB_PASSWORD = "tr0ub4dor&3"
WRONG = "guess-Zq81xw"


def b64(text):
    return base64.b64encode(text.encode()).decode()


def auth_codes(h, user, password, times=1, source="127.0.0.1"):
    """AUTH PLAIN `times` times on one connection from `source`; the reply codes."""
    with smtplib.SMTP("127.0.0.1", h.port("submission"), timeout=60,
                      source_address=(source, 0)) as s:
        s.ehlo("client.herald.test")
        codes = []
        for _ in range(times):
            code, text = s.docmd("AUTH", "PLAIN " + b64(f"\0{user}\0{password}"))
            codes.append((code, text.decode()))
            if code == 235:
                break
        return codes


def make(make_herald, **limits):
    users = [{"name": "alice", "password_hash": openssl_passwd(ALICE_PASSWORD),
              "sender_domains": ["client.herald.test"]},
             {"name": "bob", "password_hash": openssl_passwd(BOB_PASSWORD),
              "sender_domains": ["client.herald.test"]}]
    return make_herald(listeners=("submission",), user=users,
                       smtp={"allow_plaintext_auth_on_loopback": True},
                       limits={"auth_failure_delay": "0s", **limits})


def test_guessing_locks_out_address_and_user_but_not_others(make_herald):
    h = make(make_herald)
    replies = []
    for _ in range(4):  # 24 wrong passwords over four connections
        replies += auth_codes(h, "alice", WRONG, times=6)
    codes = [code for code, _ in replies]
    assert codes[:10] == [535] * 10, replies
    assert codes[10:] == [454] * 14, replies
    assert all(text.startswith("4.7.0") for code, text in replies if code == 454), replies

    # The right password now gets the same 454: a lockout teaches a guesser nothing.
    assert auth_codes(h, "alice", ALICE_PASSWORD) == [
        (454, "4.7.0 Temporary authentication failure")]
    # ... from another address too: the user is locked out, not only the address.
    assert auth_codes(h, "alice", ALICE_PASSWORD, source="127.0.0.2")[0][0] == 454
    # Another user from another address is served.
    assert auth_codes(h, "bob", BOB_PASSWORD, source="127.0.0.2")[0][0] == 235
    # A reload swaps the policies, not the count.
    assert b"ok reloaded" in h.cli("reload").stdout
    assert auth_codes(h, "alice", ALICE_PASSWORD)[0][0] == 454

    h.wait_for(lambda: "user=alice" in h.rejectlog(), what="the lockout in the rejectlog")
    rejectlog = h.rejectlog()
    locked = [line for line in rejectlog.splitlines() if '"454 ' in line]  # not a timestamp
    assert locked and all("user=alice" in line for line in locked), rejectlog
    for secret in (WRONG, ALICE_PASSWORD, BOB_PASSWORD):
        assert secret not in rejectlog
        assert b64(f"\0alice\0{secret}") not in rejectlog
    h.wait_for(lambda: "AUTH locked out for client 127.0.0.1" in h.mainlog(),
               what="the address's lockout in the mainlog")
    assert "AUTH locked out for user alice" in h.mainlog()


def test_success_resets_the_address_count(make_herald):
    h = make(make_herald, auth_failures_before_lockout=3)
    # Two failures, a success, two failures: never three in a row from the address.
    assert [c for c, _ in auth_codes(h, "bob", WRONG, times=2)] == [535, 535]
    assert auth_codes(h, "alice", ALICE_PASSWORD)[0][0] == 235
    assert [c for c, _ in auth_codes(h, "carol", WRONG, times=2)] == [535, 535]
    # bob's own count (2) stays: his third failure locks him out, whoever sends it.
    assert auth_codes(h, "bob", WRONG, source="127.0.0.2")[0][0] == 535
    assert auth_codes(h, "bob", BOB_PASSWORD, source="127.0.0.3")[0][0] == 454
