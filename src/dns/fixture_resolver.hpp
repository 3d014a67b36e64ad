#pragma once
// DNS answered from a YAML file instead of the network (SPEC.md "DNS fixture files"): the
// `zonedata` shape of the OpenSPF test suite, for conformance runs and doctor what-if runs.
//
// As in the suite's own driver (pyspf test/testspf.py):
// - a name absent from the file is NXDOMAIN; present without records of the type, NODATA;
// - a bare TIMEOUT makes the name's queries time out, except for types it has records of;
//   `{A: TIMEOUT}` times out that type only;
// - SPF records answer TXT queries unless the name has any TXT entry, `{TXT: NONE}` included;
// - a CNAME is followed one level (a chain or loop ends there, as NODATA);
// - names compare case-insensitively, a trailing dot ignored;
// - TLSA is [usage, selector, matching type, hex data]; no answer is DNSSEC-secure, so a
//   fixture's TLSA records never turn DANE on.
// Answers are immediate; the resolver is read-only once built, so any thread may use it.
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "dns/resolver.hpp"

namespace YAML {
class Node;
}

namespace herald::dns {

class FixtureResolver final : public Resolver {
  public:
    // Errors read "file:line: what is wrong".
    static Result<FixtureResolver> load(const std::filesystem::path& file);
    // `source` names the data in errors (the conformance runner passes the suite file's name).
    static Result<FixtureResolver> from_yaml(const YAML::Node& zonedata,
                                             std::string_view source = "zonedata");

    boost::asio::awaitable<Answer<MxRecord>> mx(std::string_view name) override;
    boost::asio::awaitable<Answer<std::string>> a(std::string_view name) override;
    boost::asio::awaitable<Answer<std::string>> aaaa(std::string_view name) override;
    boost::asio::awaitable<Answer<std::string>> txt(std::string_view name) override;
    boost::asio::awaitable<Answer<std::string>> ptr(std::string_view ip) override;
    boost::asio::awaitable<Answer<TlsaRecord>> tlsa(std::string_view name) override;

  private:
    struct Owner {
        std::vector<MxRecord> mx;
        std::vector<std::string> a, aaaa, txt, spf, ptr;
        std::vector<TlsaRecord> tlsa;
        std::string cname;
        bool has_txt = false;  // any TXT entry, `TXT: NONE` too: then SPF records do not answer
        bool timeout = false;  // a bare TIMEOUT
        std::vector<std::string> timeout_types;
    };
    template <typename T>
    using Select = const std::vector<T>& (*)(const Owner&);

    FixtureResolver() = default;
    static Result<Done> add_record(Owner& owner, const YAML::Node& record, std::string_view source);
    const Owner* find(std::string_view name) const;
    template <typename T>
    Answer<T> answer(std::string_view name, std::string_view type, Select<T> select) const;

    std::unordered_map<std::string, Owner> owners_;
};

}  // namespace herald::dns
