"""[[rate_limit]]: 451 4.7.1 over the limit, per sender, user and client; bounces, local mail
and exempt clients never count; the count survives a restart within the window."""
import smtplib

from herald_fixture import LOCAL_USERS, message, wait_for

LOCAL = {"recipients": LOCAL_USERS, "domains": ["local.herald.test"]}
RELAY = {"networks": ["127.0.0.0/8"]}


def relay_one(h, sender, rcpt="someone@example.net"):
    """One message; returns the first refusal (code, text) or None when it was queued."""
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        code, text = s.mail(sender)
        if code != 250:
            return code, text
        code, text = s.rcpt(rcpt)
        if code != 250:
            return code, text
        code, text = s.data(message(sender=sender, to=rcpt))
        assert code == 250, text
    return None


def test_sender_over_the_limit_gets_451_and_the_rejectlog_says_why(make_herald):
    h = make_herald(relay=RELAY, local=LOCAL, rate_limit=[{"match": "sender", "limit": "2/hour"}])
    assert relay_one(h, "burst@client.herald.test") is None
    assert relay_one(h, "burst@client.herald.test") is None
    code, text = relay_one(h, "burst@client.herald.test")
    assert code == 451 and text.startswith(b"4.7.1"), (code, text)
    assert b"2/hour" in text and b"burst@client.herald.test" in text, text
    # Another sender is not affected.
    assert relay_one(h, "quiet@client.herald.test") is None
    line = wait_for(lambda: [l for l in h.rejectlog().splitlines() if "451" in l],
                    what="the rate-limit refusal in rejectlog")[0]
    assert "4.7.1" in line and "burst@client.herald.test" in line, line


def test_local_mail_and_bounces_do_not_count(make_herald):
    h = make_herald(relay=RELAY, local=LOCAL, rate_limit=[{"match": "client_ip", "limit": "1/hour"}])
    for _ in range(3):
        assert relay_one(h, "app@client.herald.test", rcpt="bob@local.herald.test") is None
    for _ in range(3):
        assert relay_one(h, "", rcpt="someone@example.net") is None
    assert relay_one(h, "app@client.herald.test") is None
    code, _ = relay_one(h, "app@client.herald.test")
    assert code == 451


def test_exempt_networks_are_not_counted(make_herald):
    h = make_herald(relay=RELAY, local=LOCAL,
                    rate_limit=[{"match": "client_ip", "limit": "1/hour",
                                 "exempt_networks": ["127.0.0.0/8"]}])
    for _ in range(3):
        assert relay_one(h, "app@client.herald.test") is None


def test_trusted_networks_get_their_own_higher_limit(make_herald):
    h = make_herald(relay=RELAY, local=LOCAL,
                    rate_limit=[{"match": "client_ip", "limit": "1/hour",
                                 "exempt_networks": ["127.0.0.0/8"]},
                                {"match": "client_ip", "limit": "3/hour",
                                 "networks": ["127.0.0.0/8"]}])
    for _ in range(3):
        assert relay_one(h, "app@client.herald.test") is None
    code, text = relay_one(h, "app@client.herald.test")
    assert code == 451 and b"3/hour" in text, (code, text)


def test_the_count_survives_a_restart(make_herald):
    h = make_herald(relay=RELAY, local=LOCAL, rate_limit=[{"match": "sender", "limit": "2/day"}])
    assert relay_one(h, "app@client.herald.test") is None
    assert relay_one(h, "app@client.herald.test") is None
    assert h.restart() is not None
    code, text = relay_one(h, "app@client.herald.test")
    assert code == 451, (code, text)


def test_a_limit_counts_each_message_once_whatever_its_recipients(make_herald):
    h = make_herald(relay=RELAY, local=LOCAL, rate_limit=[{"match": "sender", "limit": "2/hour"}])
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        assert s.mail("team@client.herald.test")[0] == 250
        for i in range(5):
            assert s.rcpt(f"r{i}@example.net")[0] == 250
        assert s.data(message(sender="team@client.herald.test"))[0] == 250
    assert relay_one(h, "team@client.herald.test") is None
    assert relay_one(h, "team@client.herald.test")[0] == 451
