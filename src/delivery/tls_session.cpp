#include "delivery/tls_session.hpp"

#include <openssl/x509_vfy.h>

namespace herald::delivery {

std::string_view result_type(TlsFailure failure) {
    switch (failure) {
        case TlsFailure::starttls_not_supported:
            return "starttls-not-supported";
        case TlsFailure::certificate_host_mismatch:
            return "certificate-host-mismatch";
        case TlsFailure::certificate_expired:
            return "certificate-expired";
        case TlsFailure::certificate_not_trusted:
            return "certificate-not-trusted";
        case TlsFailure::validation_failure:
            break;
        case TlsFailure::tlsa_invalid:
            return "tlsa-invalid";
        case TlsFailure::dnssec_invalid:
            return "dnssec-invalid";
        case TlsFailure::sts_policy_fetch_error:
            return "sts-policy-fetch-error";
        case TlsFailure::sts_policy_invalid:
            return "sts-policy-invalid";
        case TlsFailure::sts_webpki_invalid:
            return "sts-webpki-invalid";
    }
    return "validation-failure";
}

TlsFailure failure_of_certificate_error(long error) {
    switch (error) {
        case X509_V_ERR_HOSTNAME_MISMATCH:
        case X509_V_ERR_IP_ADDRESS_MISMATCH:
            return TlsFailure::certificate_host_mismatch;
        case X509_V_ERR_CERT_HAS_EXPIRED:
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return TlsFailure::certificate_expired;
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_CERT_UNTRUSTED:
            return TlsFailure::certificate_not_trusted;
        default:
            return TlsFailure::validation_failure;
    }
}

std::string_view policy_type(TlsSession::Policy policy) {
    switch (policy) {
        case TlsSession::Policy::none:
            break;
        case TlsSession::Policy::sts:
            return "sts";
        case TlsSession::Policy::tlsa:
            return "tlsa";
    }
    return "no-policy-found";
}

}  // namespace herald::delivery
