// The OpenSPF test suite (RFC 7208 edition) from ../shared/conformance/spf: every scenario's
// zonedata becomes a FixtureResolver, every test one check_mail_from() run.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "../dns/run_coroutine.hpp"
#include "dns/fixture_resolver.hpp"
#include "mailauth/spf/check_host.hpp"

namespace herald::mailauth::spf {
namespace {

using dns::testing::run_coroutine;

const std::string kSuite = std::string(HERALD_SHARED_DIR) + "/conformance/spf/rfc7208-tests.yml";

std::vector<std::string> accepted_results(const YAML::Node& result) {
    std::vector<std::string> accepted;
    if (result.IsSequence()) {
        for (const auto& one : result) accepted.push_back(one.as<std::string>());
    } else {
        accepted.push_back(result.as<std::string>());
    }
    return accepted;
}

// A test's verdict: "" when it passes, else what differed.
std::string run_case(dns::Resolver& resolver, const YAML::Node& test) {
    const auto result = run_coroutine(check_mail_from(resolver, test["host"].as<std::string>(),
                                                      test["mailfrom"].as<std::string>(),
                                                      test["helo"].as<std::string>()));
    const auto accepted = accepted_results(test["result"]);
    const std::string got(to_string(result.outcome));
    if (std::ranges::find(accepted, got) == accepted.end()) {
        return "got " + got + " (" + result.mechanism + result.problem + ")";
    }
    if (test["explanation"]) {
        // The suite's driver sets the default explanation to "DEFAULT": no exp= applied.
        std::string expected = test["explanation"].as<std::string>();
        if (expected == "DEFAULT") expected.clear();
        if (result.explanation != expected) return "explanation '" + result.explanation + "'";
    }
    return "";
}

TEST(SpfConformance, PassesEveryScenarioOfTheOpenSpfSuite) {
    const auto scenarios = YAML::LoadAllFromFile(kSuite);
    ASSERT_FALSE(scenarios.empty()) << kSuite;
    int passed = 0;
    std::vector<std::string> failures;
    for (const auto& scenario : scenarios) {
        auto resolver = dns::FixtureResolver::from_yaml(scenario["zonedata"], kSuite);
        ASSERT_TRUE(resolver.ok()) << resolver.error();
        for (const auto& test : scenario["tests"]) {
            const std::string problem = run_case(*resolver, test.second);
            if (problem.empty()) {
                ++passed;
            } else {
                failures.push_back(scenario["description"].as<std::string>() + " / " +
                                   test.first.as<std::string>() + ": " + problem);
            }
        }
    }
    std::cout << passed << " passed, " << failures.size() << " failed\n";
    for (const auto& failure : failures) std::cout << "  FAILED " << failure << "\n";
    EXPECT_TRUE(failures.empty());
    EXPECT_GT(passed, 100);
}

}  // namespace
}  // namespace herald::mailauth::spf
