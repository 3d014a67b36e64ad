"""Local recipients are checked at RCPT ([local] recipients, recipients_file, aliases_file),
in one canonical address form that every policy shares (RFC 5321 4.1.2 quoting removed, the
domain lower-cased)."""
import pytest

from herald_fixture import maildir_count, message, queued_id, wait_for

LOCAL = "local.herald.test"


def local_herald(make_herald, networks=(), **local):
    section = {"domains": [LOCAL], "mailbox": "maildir", "path": "var/mail/{user}",
               "recipients": ["bob"]}
    section.update(local)
    return make_herald(relay={"networks": list(networks)}, local=section)


def transaction(h, sender, recipients):
    """MAIL and RCPTs byte for byte; returns the RCPT replies, the connection still open."""
    c = h.raw()
    c.reply()
    c.ehlo()
    code, texts = c.cmd(f"MAIL FROM:<{sender}>")
    assert code == 250, (code, texts)
    return c, [c.cmd(f"RCPT TO:<{r}>") for r in recipients]


def finish(c, to=f"bob@{LOCAL}"):
    code, texts = c.cmd("DATA")
    assert code == 354, (code, texts)
    c.send(message(to=to) + ".\r\n")
    code, texts = c.reply()
    assert code == 250, (code, texts)
    c.cmd("QUIT")
    c.close()
    return queued_id(texts[0])


def test_unknown_local_users_are_refused_at_rcpt_and_make_no_mailbox(make_herald):
    h = local_herald(make_herald)
    # Eight a connection: past [limits] max_errors (10) the session would be closed.
    for batch in range(10):
        made_up = [f"user{batch}x{i}@{LOCAL}" for i in range(8)]
        c, replies = transaction(h, "someone@example.org", made_up)
        assert all(code == 550 and texts[0].startswith("5.1.1") for code, texts in replies), \
            replies
        code, texts = c.cmd("DATA")
        assert code == 554, (code, texts)  # no valid recipient: nothing is taken in
        c.close()
    mail_dir = h.path("var/mail")
    assert not mail_dir.exists() or not any(mail_dir.iterdir())
    assert "5.1.1" in h.rejectlog()


def test_a_quoted_local_part_is_the_same_mailbox_at_rcpt_and_at_delivery(make_herald):
    h = local_herald(make_herald)
    c, replies = transaction(h, "someone@example.org", [f'"bob"@{LOCAL}', f'"b\\ob"@{LOCAL}',
                                                        f'"b o b"@{LOCAL}'])
    assert [code for code, _ in replies] == [250, 250, 550], replies
    msg_id = finish(c)
    wait_for(lambda: maildir_count(h.path("var/mail/bob")) == 1, what="bob's copy")
    delivered = h.events(msg_id, "=>")
    assert len(delivered) == 1 and f"bob@{LOCAL}" in delivered[0], delivered
    assert not h.events(msg_id, "**")


def test_postmaster_without_a_domain_is_accepted_from_anyone(make_herald):
    h = local_herald(make_herald)
    c, replies = transaction(h, "someone@example.org", ["Postmaster"])
    assert replies[0][0] == 250, replies
    msg_id = finish(c, to="postmaster")
    wait_for(lambda: maildir_count(h.path("var/mail/postmaster")) == 1, what="postmaster's copy")
    assert f"postmaster@{LOCAL}" in " ".join(h.events(msg_id, "=>"))


def test_the_recipient_map_and_aliases_are_read_again_on_reload(make_herald, tmp_path):
    (tmp_path / "recipients").write_text("# mailboxes\nbob\n")
    (tmp_path / "aliases").write_text("")
    h = local_herald(make_herald, recipients=[], recipients_file="recipients",
                     aliases_file="aliases")
    _, replies = transaction(h, "someone@example.org", [f"carol@{LOCAL}", f"team@{LOCAL}"])
    assert [code for code, _ in replies] == [550, 550], replies

    (tmp_path / "recipients").write_text("bob\ncarol\n")
    (tmp_path / "aliases").write_text("team: bob, carol\n")
    result = h.cli("reload")
    assert result.returncode == 0 and b"ok reloaded" in result.stdout, result
    c, replies = transaction(h, "someone@example.org", [f"carol@{LOCAL}", f"team@{LOCAL}"])
    assert [code for code, _ in replies] == [250, 250], replies
    finish(c, to=f"team@{LOCAL}")
    # carol is named twice (herself and through team): one copy; bob once, through team.
    wait_for(lambda: maildir_count(h.path("var/mail/bob")) == 1, what="bob's copy")
    wait_for(lambda: maildir_count(h.path("var/mail/carol")) == 1, what="carol's copy")


def test_check_config_names_the_line_of_a_bad_recipient_map(make_herald, tmp_path):
    (tmp_path / "recipients").write_text("bob\n../../etc/passwd\n")
    section = {"domains": [LOCAL], "recipients_file": "recipients"}
    h = make_herald(start=False, local=section)
    result = h.cli("check-config")
    assert result.returncode == 2, result
    assert b"recipients:2:" in result.stderr, result.stderr


@pytest.mark.parametrize("spelling", ['"bad"@example.com', '"b\\ad"@example.com',
                                      "bad@EXAMPLE.com"])
def test_a_reject_list_sees_every_spelling_of_an_address(make_herald, spelling):
    h = make_herald(reject={"senders": ["bad@example.com"]})
    with h.raw() as c:
        c.reply()
        c.ehlo()
        code, texts = c.cmd(f"MAIL FROM:<{spelling}>")
        assert code == 550 and texts[0].startswith("5.7.1"), (spelling, code, texts)


def test_a_rate_limit_counts_every_spelling_of_a_sender_as_one(make_herald):
    h = make_herald(relay={"networks": ["127.0.0.0/8"]},
                    transport=[{"name": "discard", "type": "null"}],
                    route=[{"sender": "*", "transport": "discard"}],
                    rate_limit=[{"match": "sender", "limit": "1/hour"}])
    c, replies = transaction(h, "news@rl.example", ["someone@example.net"])
    assert replies[0][0] == 250, replies
    msg_id = finish(c, to="someone@example.net")
    with h.raw() as c:
        c.reply()
        c.ehlo()
        code, texts = c.cmd('MAIL FROM:<"news"@RL.example>')
        assert code == 451 and texts[0].startswith("4.7.1"), (code, texts)
    # The log keeps the one form too, so summary and trace find every message of the sender.
    arrival = h.events(msg_id, "<=")
    assert arrival and "news@rl.example" in arrival[0], arrival
    assert msg_id.encode() in h.cli("trace", "news@rl.example").stdout
