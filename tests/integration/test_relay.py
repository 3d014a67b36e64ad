"""Relay rules: local domains from anyone, other domains only from relay.networks or AUTH."""
import re

from herald_fixture import LOCAL_USERS, message, queued_id, wait_for

LOCAL = {"recipients": LOCAL_USERS, "domains": ["local.herald.test"]}


def test_relay_denied_outside_relay_networks_and_logged(make_herald):
    h = make_herald(relay={"networks": []}, local=LOCAL)
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        assert s.mail("stranger@client.herald.test")[0] == 250
        code, text = s.rcpt("victim@example.net")
        assert code == 554 and text.startswith(b"5.7.1"), (code, text)
        # Local recipients are still welcome from anyone.
        code, text = s.rcpt("bob@local.herald.test")
        assert code == 250, text
        code, text = s.data(message(to="bob@local.herald.test"))
        assert code == 250, text
    line = wait_for(lambda: [l for l in h.rejectlog().splitlines() if "victim@example.net" in l],
                    what="the relay refusal in rejectlog")[0]
    assert "127.0.0.1" in line and "554" in line and "5.7.1" in line, line
    assert "victim@example.net" not in h.mainlog()


def test_relay_allowed_from_relay_networks(make_herald):
    h = make_herald(relay={"networks": ["127.0.0.0/8"]})
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        s.mail("app@client.herald.test")
        assert s.rcpt("anyone@example.net")[0] == 250
        code, text = s.data(message())
        assert code == 250
        msg_id = queued_id(text)
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")


def test_relay_denied_with_swaks(make_herald):
    h = make_herald(relay={"networks": ["10.0.0.0/8"]})
    result = h.swaks("--from", "x@client.herald.test", "--to", "y@example.net")
    assert result.returncode != 0
    assert re.search(r"554 5\.7\.1", result.stdout), result.stdout
    wait_for(lambda: "554" in h.rejectlog(), what="rejectlog line")
