#include "delivery/tls_session.hpp"

#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

namespace herald::delivery {
namespace {

TEST(TlsSession, CertificateErrorsCountAsRfc8460SaysTheyDo) {
    EXPECT_EQ(result_type(failure_of_certificate_error(X509_V_ERR_HOSTNAME_MISMATCH)),
              "certificate-host-mismatch");
    EXPECT_EQ(result_type(failure_of_certificate_error(X509_V_ERR_CERT_HAS_EXPIRED)),
              "certificate-expired");
    EXPECT_EQ(result_type(failure_of_certificate_error(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)),
              "certificate-not-trusted");
    EXPECT_EQ(
        result_type(failure_of_certificate_error(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)),
        "certificate-not-trusted");
    // A certificate that matches no TLSA record fails validation: RFC 8460 has no closer type.
    EXPECT_EQ(result_type(failure_of_certificate_error(X509_V_ERR_DANE_NO_MATCH)),
              "validation-failure");
}

TEST(TlsSession, PolicyTypesAreTheReportsWords) {
    EXPECT_EQ(policy_type(TlsSession::Policy::none), "no-policy-found");
    EXPECT_EQ(policy_type(TlsSession::Policy::sts), "sts");
    EXPECT_EQ(policy_type(TlsSession::Policy::tlsa), "tlsa");
    EXPECT_EQ(result_type(TlsFailure::starttls_not_supported), "starttls-not-supported");
    EXPECT_EQ(result_type(TlsFailure::tlsa_invalid), "tlsa-invalid");
    EXPECT_EQ(result_type(TlsFailure::dnssec_invalid), "dnssec-invalid");
    EXPECT_EQ(result_type(TlsFailure::sts_policy_fetch_error), "sts-policy-fetch-error");
    EXPECT_EQ(result_type(TlsFailure::sts_policy_invalid), "sts-policy-invalid");
    EXPECT_EQ(result_type(TlsFailure::sts_webpki_invalid), "sts-webpki-invalid");
}

}  // namespace
}  // namespace herald::delivery
