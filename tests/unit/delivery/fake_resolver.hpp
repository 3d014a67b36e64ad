#pragma once
// A dns::Resolver answering from maps filled by the test: a name it was not told about is
// NXDOMAIN, as in the DNS fixture files of SPEC.md.
#include <map>
#include <string>
#include <vector>

#include "dns/resolver.hpp"

namespace herald::delivery::testing {

template <typename T = std::string>
dns::Answer<T> answer(dns::Status status, std::vector<T> records = {}) {
    dns::Answer<T> a;
    a.status = status;
    a.records = std::move(records);
    return a;
}

class FakeResolver : public dns::Resolver {
  public:
    std::map<std::string, dns::Answer<dns::MxRecord>> mx_answers;
    std::map<std::string, dns::Answer<std::string>> a_answers;
    std::map<std::string, dns::Answer<std::string>> aaaa_answers;
    std::map<std::string, dns::Answer<dns::TlsaRecord>> tlsa_answers;
    std::vector<std::string> queries;

    void add_mx(const std::string& name, std::vector<dns::MxRecord> records) {
        mx_answers[name] = answer(dns::Status::ok, std::move(records));
    }
    void add_a(const std::string& name, std::vector<std::string> ips) {
        a_answers[name] = answer(dns::Status::ok, std::move(ips));
    }
    void add_aaaa(const std::string& name, std::vector<std::string> ips) {
        aaaa_answers[name] = answer(dns::Status::ok, std::move(ips));
    }
    // The name exists (it has some record) but not of this type.
    void add_nodata(const std::string& name) {
        mx_answers.try_emplace(name, answer<dns::MxRecord>(dns::Status::nodata));
        a_answers.try_emplace(name, answer(dns::Status::nodata));
        aaaa_answers.try_emplace(name, answer(dns::Status::nodata));
    }

    boost::asio::awaitable<dns::Answer<dns::MxRecord>> mx(std::string_view name) override {
        co_return lookup(mx_answers, "MX", name);
    }
    boost::asio::awaitable<dns::Answer<std::string>> a(std::string_view name) override {
        co_return lookup(a_answers, "A", name);
    }
    boost::asio::awaitable<dns::Answer<std::string>> aaaa(std::string_view name) override {
        co_return lookup(aaaa_answers, "AAAA", name);
    }
    boost::asio::awaitable<dns::Answer<std::string>> txt(std::string_view name) override {
        co_return answer(dns::Status::nxdomain);
    }
    boost::asio::awaitable<dns::Answer<std::string>> ptr(std::string_view ip) override {
        co_return answer(dns::Status::nxdomain);
    }
    boost::asio::awaitable<dns::Answer<dns::TlsaRecord>> tlsa(std::string_view name) override {
        co_return lookup(tlsa_answers, "TLSA", name);
    }

  private:
    template <typename T>
    dns::Answer<T> lookup(const std::map<std::string, dns::Answer<T>>& answers,
                          const std::string& type, std::string_view name) {
        queries.push_back(type + " " + std::string(name));
        auto it = answers.find(std::string(name));
        if (it == answers.end()) return answer<T>(dns::Status::nxdomain);
        return it->second;
    }
};

}  // namespace herald::delivery::testing
