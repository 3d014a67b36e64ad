"""Bounce replies of the large mailbox providers, for tests of bounce classification.

PROVIDER_REPLIES is a list of dicts:

    provider  "google", "microsoft" or "yahoo"
    reply     the whole SMTP reply as one line: reply code, enhanced status code, text
    cause     unauthenticated, spf, dkim, dmarc, alignment, reverse-dns, tls, block-list,
              reputation, unsubscribe or policy
    source    where the text is copied from

The texts are facts copied from the providers' published error lists, or from public
archives that quote real replies where a provider publishes none (see each "source"). They
are copied word for word, placeholders included; nothing here is Herald's own wording except
the causes. See docs/research/bulk_senders.md for the rules behind them.
"""

CAUSES = frozenset({
    "unauthenticated", "spf", "dkim", "dmarc", "alignment", "reverse-dns", "tls",
    "block-list", "reputation", "unsubscribe", "policy",
})

PROVIDER_REPLIES = [
    # --- Google (Gmail) ----------------------------------------------------------------------
    # All from Google's list. Google prints its placeholders (domain-name, ip-address) and link
    # titles ("go to Email sender guidelines") where a real reply has a name, an address or a URL;
    # they are kept as published.
    # Unauthenticated: neither SPF nor DKIM passed.
    {
        "provider": "google",
        "reply": (
            '421 4.7.26 This email has been rate limited because it is unauthenticated. Gmail '
            'requires all senders to authenticate with either SPF or DKIM. Authentication '
            'results: DKIM = did not pass SPF domain-name with ip: ip-address = did not pass. '
            'To resolve this issue, go to Email sender guidelines.'
        ),
        "cause": "unauthenticated",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    # Unauthenticated: neither SPF nor DKIM passed.
    {
        "provider": "google",
        "reply": (
            '550 5.7.26 This email has been blocked because the sender is unauthenticated. '
            'Gmail requires all senders to authenticate with either SPF or DKIM. '
            'Authentication results: DKIM = did not pass SPF [domain-name] with ip: '
            '[ip-address] = did not pass. For instructions on setting up authentication, go to '
            'Email sender guidelines.'
        ),
        "cause": "unauthenticated",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    # DMARC policy of the From: domain, temporary DNS failure.
    {
        "provider": "google",
        "reply": (
            "451 4.7.26 Unauthenticated email from domain-name is not accepted due to domain's "
            'DMARC policy, but temporary DNS failures prevent authentication. Please contact '
            'the administrator of domain-name domain if this was a legitimate email. To learn '
            'about the DMARC initiative, go to Control unauthenticated mail from your domain.'
        ),
        "cause": "dmarc",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    # DMARC policy of the From: domain.
    {
        "provider": "google",
        "reply": (
            "550 5.7.26 Unauthenticated email from domain-name is not accepted due to domain's "
            'DMARC policy. Contact the administrator of domain-name domain if this was '
            'legitimate email. To learn about the DMARC initiative, go to Control '
            'unauthenticated email from your domain.'
        ),
        "cause": "dmarc",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    # SPF hard fail (-all), published under 5.7.26.
    {
        "provider": "google",
        "reply": (
            '550 5.7.26 The (E)MAIL FROM domain [domain-name] has an SPF record with a hard '
            'fail policy (-all) but it fails to pass SPF checks with the ip: [ip-address]. To '
            'best protect our users from spam and phishing, the message has been blocked. For '
            'more information, go to Email sender guidelines.'
        ),
        "cause": "spf",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            "421 4.7.27 Your email has been rate limited because SPF authentication didn't "
            'pass for this message. Gmail requires all bulk email senders to authenticate '
            'their email with SPF. Authentication results: SPF domain-name with IP address: '
            'ip-address = Did not pass. To set up SPF for your sending domains, visit Set up '
            'SPF. To learn more about Gmail requirements for bulk email senders, visit Email '
            'sender guidelines.'
        ),
        "cause": "spf",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            "550 5.7.27 This message was blocked because it didn't pass SPF authentication. "
            'Gmail requires bulk email senders to authenticate their email with SPF. '
            'Authentication results: SPF with ip-address = did not pass To set up SPF for your '
            'sending domains, visit Set up SPF. To learn more about Gmail requirements for '
            'bulk email senders, visit Email sender guidelines.'
        ),
        "cause": "spf",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    # Suspicious entries in the SPF record.
    {
        "provider": "google",
        "reply": (
            '451 4.7.24 The SPF record of the sending domain has one or more suspicious '
            'entries. To protect our users from spam, email sent from your IP address has been '
            'temporarily rate limited. For more information, go to Email sender guidelines.'
        ),
        "cause": "spf",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            '550 5.7.24 The SPF record of the sending domain has one or more suspicious '
            'entries. For more information, go to Email sender guidelines.'
        ),
        "cause": "spf",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            "421 4.7.30 Your email has been rate limited because DKIM authentication didn't "
            'pass for this message. Gmail requires all email bulk senders to authenticate '
            'their email with DKIM. Authentication results: DKIM = Did not pass. To set up '
            'DKIM for your sending domains, visit Set up DKIM. To learn more about Gmail '
            'requirements for bulk email senders, visit Email sender guidelines.'
        ),
        "cause": "dkim",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            "550 5.7.30 This message was blocked because it didn't pass DKIM authentication. "
            'Gmail requires bulk email senders to authenticate their email with DKIM. '
            'Authentication results: DKIM = did not pass To set up DKIM for your sending '
            'domains, visit Set up DKIM. To learn more about Gmail requirements for bulk email '
            'senders, visit Email sender guidelines.'
        ),
        "cause": "dkim",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            '421 4.7.32 Your email has been rate limited because the From: header (RFC5322) in '
            "this message isn't aligned with either the authenticated SPF or DKIM "
            'organizational domain. Learn more about DMARC alignment. To learn more about '
            'Gmail requirements for bulk email senders, visit Email sender guidelines.'
        ),
        "cause": "alignment",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    # Published with reply code 421 and enhanced code 5.7.32 (sic): every copy of the
    # list since 2025-04-10 shows it so. Real blocks may come as 550 5.7.32.
    {
        "provider": "google",
        "reply": (
            '421 5.7.32 Your email was blocked because the From: header (RFC5322) in this '
            "message isn't aligned with either the authenticated SPF or DKIM organizational "
            'domain. Learn more about DMARC alignment. To learn more about Gmail requirements '
            'for bulk email senders, visit Email sender guidelines.'
        ),
        "cause": "alignment",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    # DMARC record missing. The FAQ (answer/14229414) gives this text the code 4.7.31;
    # the error list gives 4.7.40. Copied as the error list has it.
    {
        "provider": "google",
        "reply": (
            "421 4.7.40 Your email has been rate limited because the sending domain doesn't "
            "have a DMARC record, or the DMARC record doesn't specify a DMARC policy. Gmail "
            'requires all bulk email senders to add a DMARC record to their sending domain. '
            'See Set up DMARC. To learn more about Gmail requirements for bulk email senders, '
            'visit Email sender guidelines.'
        ),
        "cause": "dmarc",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            "550 5.7.40 Your message was blocked because the sending domain doesn't have a "
            "DMARC record or the DMARC record doesn't specify a DMARC policy. Gmail requires "
            'all bulk email senders to add a DMARC record to their sending domain. See Set up '
            'DMARC. To learn more about Gmail requirements for bulk email senders, visit Email '
            'sender guidelines.'
        ),
        "cause": "dmarc",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    # Published as 451 4.7.23 (not 421). "ip-address" is Google's placeholder.
    {
        "provider": "google",
        "reply": (
            "451 4.7.23 ip-address The sending IP address for this message doesn't have a PTR "
            "record, or the PTR record's forward DNS entry doesn't match the sending IP "
            'address. To protect users from spam, your email has been temporarily rate '
            'limited. To learn more about IP address requirements for sending to Gmail, visit '
            'the IP addresses section of our sender guidelines. To learn more about Gmail '
            'requirements for bulk email senders, visit Email sender guidelines.'
        ),
        "cause": "reverse-dns",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            "550 5.7.25 This message was blocked because the sending IP address doesn't have a "
            "PTR record, or the forwarding DNS entry doesn't reference the sending IP address. "
            'Gmail requires that sending IP addresses have a PTR record. Learn more about '
            'requirements for sending IP addresses. To learn more about Gmail requirements for '
            'bulk email senders, visit Email sender guidelines.'
        ),
        "cause": "reverse-dns",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            '421 4.7.0 The IP address sending this message does not have a PTR record, or the '
            'corresponding forward DNS entry does not point to the sending IP. To protect our '
            'users from spam, email sent from your IP address has been temporarily rate '
            'limited. For more information, go to Email sender guidelines.'
        ),
        "cause": "reverse-dns",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    # IPv6: PTR and authentication (Google names both; classed by the PTR part).
    {
        "provider": "google",
        "reply": (
            '550 5.7.1 This message does not meet IPv6 sending guidelines regarding PTR '
            'records and authentication. For more information, go to Email sender guidelines.'
        ),
        "cause": "reverse-dns",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            "421 4.7.29 Your email has been rate limited because you're not using a TLS "
            'connection. Gmail requires all bulk email senders to use TLS/SSL for SMTP '
            'connections. To set up TLS for email, visit TLS & SSL connections. To learn more '
            'about Gmail requirements for bulk email senders, visit Email sender guidelines.'
        ),
        "cause": "tls",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            "550 5.7.29 This message was blocked because it wasn't sent over a TLS connection. "
            'Gmail requires all bulk email senders to use TLS/SSL for SMTP connections. To set '
            'up TLS for email, visit TLS & SSL connections. To learn more about Gmail '
            'requirements for bulk email senders, visit Email sender guidelines.'
        ),
        "cause": "tls",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    # The receiving Workspace domain requires TLS.
    {
        "provider": "google",
        "reply": (
            '421 4.7.0 TLS required for RCPT domain, closing connection. For more information, '
            'go to Email encryption in transit.'
        ),
        "cause": "tls",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            '550 5.7.1 This message is likely unsolicited email. To reduce the amount of spam '
            'sent to Gmail, this message has been blocked. For more information, go to Why has '
            'Gmail blocked my messages?'
        ),
        "cause": "reputation",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            '550 5.7.1 This message is likely suspicious due to the very low reputation of the '
            'sending IP address. To best protect our users from spam, the message has been '
            'blocked. For more information, go to Why has Gmail blocked my messages?'
        ),
        "cause": "reputation",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            '550 5.7.1 This message is likely suspicious due to the very low reputation of the '
            'sending domain. To best protect our users from spam, the message has been '
            'blocked. For more information, go to Why has Gmail blocked my messages?'
        ),
        "cause": "reputation",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            '421 4.7.0 This message is suspicious due to the very low reputation of the '
            'sending IP address. To protect our users from spam, email sent from your IP '
            'address has been temporarily rate limited. For more information, go to Why has '
            'Gmail blocked my messages?.'
        ),
        "cause": "reputation",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            '421 4.7.28 Gmail has detected an unusual rate of email originating from your IP '
            'address ip-address. To protect our users from spam, email sent from your IP '
            'address has been temporarily rate limited. To review our bulk email senders '
            'guidelines, go to Email sender guidelines.'
        ),
        "cause": "reputation",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            '421 4.7.28 Gmail has detected an unusual rate of unsolicited email originating '
            'from your IP Netblock ip-address. To protect our users from spam, email sent from '
            'your IP Netblock has been temporarily rate limited. To review our bulk email '
            'senders guidelines, go to Email sender guidelines.'
        ),
        "cause": "reputation",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            '421 4.7.28 Gmail has detected an unusual amount of unsolicited email originating '
            'from your IP address. To protect our users from spam, email sent from your IP '
            'address has been temporarily blocked. To review our bulk email senders '
            'guidelines, go to Email sender guidelines.'
        ),
        "cause": "reputation",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "google",
        "reply": (
            '550 5.7.28 There is an unusual rate of unsolicited email originating from your IP '
            'address. To protect our users from spam, email sent from your IP address has been '
            'blocked. To review our bulk email senders guidelines, go to Email sender '
            'guidelines.'
        ),
        "cause": "reputation",
        "source": (
            'https://support.google.com/a/answer/3726730 (Gmail SMTP errors and codes), '
            '2026-02-15 copy in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    # Not published: Google's list (all copies 2023-03-06 to 2026-02-15) has no reply for a
    # missing or broken one-click unsubscribe; the FAQ says only "Delivery support or
    # mitigations unavailable". No "unsubscribe" entry is given.
    # --- Microsoft (Outlook.com, Exchange Online) --------------------------------------------
    # Microsoft does not list the S-codes on its Outlook.com troubleshooting page. Real replies
    # go on: "You can also refer your provider to
    # http://mail.live.com/mail/troubleshooting.aspx#errors."
    {
        "provider": "microsoft",
        "reply": (
            "550 5.7.1 Unfortunately, messages from [10.0.2.5] weren't sent. Please contact "
            'your Internet service provider since part of their network is on our block list '
            '(S3150).'
        ),
        "cause": "block-list",
        "source": (
            'github.com/sisimai/p5-sisimai lib/Sisimai/Rhost/Microsoft.pm (quoted there as an '
            'undocumented reply)'
        ),
    },
    # Microsoft writes it "550; 5.7.515 Access denied, ..."; the semicolon after the reply code
    # is left out here so that the line has the form of an SMTP reply.
    {
        "provider": "microsoft",
        "reply": (
            '550 5.7.515 Access denied, sending domain [SendingDomain] does not meet the '
            'required authentication level.'
        ),
        "cause": "unauthenticated",
        "source": (
            'techcommunity.microsoft.com/blog/microsoftdefenderforoffice365blog/4399730 '
            "(Outlook's New Requirements for High-Volume Senders, 2025-04-02, update of "
            '2025-04-29) and sendersupport.olc.protection.outlook.com/pm/policies.aspx; copies '
            'of 2025-08-02 and 2026-06-15 in github.com/azumakuniyuki/feb-2024-no-auth-no-entry'
        ),
    },
    {
        "provider": "microsoft",
        "reply": (
            '451 4.7.650 The mail server [192.0.2.5] has been temporarily rate limited due to '
            'IP reputation. For e-mail delivery information, see https://postmaster.live.com '
            '(S775)'
        ),
        "cause": "reputation",
        "source": (
            'github.com/sisimai/p5-sisimai lib/Sisimai/Rhost/Microsoft.pm (quoted there as an '
            'undocumented reply)'
        ),
    },
    {
        "provider": "microsoft",
        "reply": (
            '550 5.7.509 Access denied, sending domain bar.com does not pass DMARC '
            'verification and has a DMARC policy of reject.'
        ),
        "cause": "dmarc",
        "source": (
            'pastebin.com/sQaSsUZe (an Exchange Online NDR, 2024-12-11); code 5.7.509 as in '
            'Microsoft\'s "Email non-delivery reports and SMTP errors in Exchange Online", '
            'quoted in github.com/sisimai/p5-sisimai lib/Sisimai/Rhost/Microsoft.pm'
        ),
    },
    # --- Yahoo (Yahoo, AOL) ------------------------------------------------------------------
    # senders.yahooinc.com/smtp-error-codes describes the errors but prints no reply texts (all
    # copies 2024-02-06 to 2026-02-15), so these are replies as quoted in public archives.
    # Yahoo's page, "Message temporarily deferred (eg: TS* Errors)": complaints, objectionable
    # content, poor IP reputation, unusual traffic.
    {
        "provider": "yahoo",
        "reply": (
            '421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected '
            'volume or user complaints - 4.16.55.1; see '
            'https://postmaster.yahooinc.com/error-codes'
        ),
        "cause": "reputation",
        "source": (
            'github.com/sisimai/p5-sisimai lib/Sisimai/Rhost/YahooInc.pm; the same text in '
            'secuserve.zammad.com (FAQ 397) and smtp.codes/yahoo'
        ),
    },
    {
        "provider": "yahoo",
        "reply": (
            '553 5.7.2 [TSS09] All messages from 192.0.2.25 will be permanently deferred; '
            'Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes'
        ),
        "cause": "reputation",
        "source": 'github.com/sisimai/p5-sisimai lib/Sisimai/Rhost/YahooInc.pm',
    },
    # The quoted replies are 550, not 553/554. Real ones go on: "Authentication results:
    # DKIM = FAILURE - SPF <domain> with ip <ip> = FAILURE. See
    # https://senders.yahooinc.com/smtp-error-codes/#authentication-failures for more
    # information." (docuseal issue 524).
    {
        "provider": "yahoo",
        "reply": (
            '550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo '
            'requires all senders to authenticate with either SPF or DKIM.'
        ),
        "cause": "unauthenticated",
        "source": (
            'github.com/sisimai/p5-sisimai lib/Sisimai/Rhost/YahooInc.pm; the same text in '
            'github.com/forwardemail/status.forwardemail.net issue 866 and '
            'github.com/docusealco/docuseal issue 524'
        ),
    },
    # Yahoo's help page SLN7253, "Error '554 5.7.9: Message not accepted for policy reasons'",
    # says the message failed DKIM, SPF or DMARC checks (written for Yahoo's DMARC p=reject
    # change, 2014). Sisimai files it as a policy violation.
    {
        "provider": "yahoo",
        "reply": (
            '554 5.7.9 Message not accepted for policy reasons. See '
            'https://postmaster.yahooinc.com/error-codes'
        ),
        "cause": "dmarc",
        "source": (
            'github.com/sisimai/p5-sisimai lib/Sisimai/Rhost/YahooInc.pm; meaning from '
            'help.yahoo.com/kb/SLN7253'
        ),
    },
    # PH01 has no enhanced status code. Yahoo: "PH* Errors" mean "something in the content
    # that Yahoo won't accept for policy reasons" (viruses, phishing, malware, links to them).
    {
        "provider": "yahoo",
        "reply": (
            '554 Message not allowed - [PH01] Email not accepted for policy reasons. Please '
            'visit https://postmaster.yahooinc.com/error-codes'
        ),
        "cause": "policy",
        "source": (
            "github.com/sisimai/p5-sisimai lib/Sisimai/Rhost/YahooInc.pm; Yahoo's page, "
            'section "Content based blocks (e.g: PH* Errors)"'
        ),
    },
    # Yahoo's page: "Your IP is listed by Spamhaus."
    {
        "provider": "yahoo",
        "reply": (
            '553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.25, because the ip '
            "is in Spamhaus's list; see http://postmaster.yahoo.com/550-bl23.html"
        ),
        "cause": "block-list",
        "source": 'github.com/sisimai/p5-sisimai lib/Sisimai/Rhost/YahooInc.pm',
    },
]
