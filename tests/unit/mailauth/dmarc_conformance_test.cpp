// The DMARC record table of ../shared/conformance/dmarc/records.yml: each record either
// parses to the listed values or fails with an error naming the listed fault.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <iostream>
#include <string>
#include <vector>

#include "mailauth/dmarc/record.hpp"

namespace herald::mailauth::dmarc {
namespace {

const std::string kTable = std::string(HERALD_SHARED_DIR) + "/conformance/dmarc/records.yml";

// What differs between the parsed record and the case, "" when nothing does.
std::string compare(const Record& record, const YAML::Node& expected) {
    std::string differences;
    auto check = [&](const char* tag, const std::string& got) {
        if (expected[tag] && expected[tag].as<std::string>() != got) {
            differences += std::string(" ") + tag + "=" + got;
        }
    };
    check("p", std::string(to_string(record.policy)));
    check("sp", std::string(to_string(record.subdomain_policy)));
    check("adkim", record.dkim_alignment == Alignment::strict ? "s" : "r");
    check("aspf", record.spf_alignment == Alignment::strict ? "s" : "r");
    check("pct", std::to_string(record.percent));
    if (expected["rua"] &&
        expected["rua"].as<std::vector<std::string>>() != record.aggregate_uris) {
        differences += " rua differs";
    }
    return differences;
}

std::string run_case(const YAML::Node& test) {
    const auto text = test["record"].as<std::string>();
    const auto record = Record::parse(text);
    if (test["error"]) {
        const auto fault = test["error"].as<std::string>();
        if (record.ok()) return "parsed, expected error '" + fault + "'";
        if (record.error().find(fault) == std::string::npos)
            return "error '" + record.error() + "'";
        return "";
    }
    if (!record.ok()) return "error '" + record.error() + "'";
    return compare(*record, test);
}

TEST(DmarcConformance, ParsesEveryRecordOfTheTable) {
    const auto table = YAML::LoadFile(kTable);
    ASSERT_TRUE(table.IsSequence()) << kTable;
    int passed = 0;
    std::vector<std::string> failures;
    for (const auto& test : table) {
        const std::string problem = run_case(test);
        if (problem.empty()) {
            ++passed;
        } else {
            failures.push_back(test["record"].as<std::string>() + ":" + problem);
        }
    }
    std::cout << passed << " passed, " << failures.size() << " failed\n";
    for (const auto& failure : failures) std::cout << "  FAILED " << failure << "\n";
    EXPECT_TRUE(failures.empty());
    EXPECT_EQ(passed, static_cast<int>(table.size()));
}

}  // namespace
}  // namespace herald::mailauth::dmarc
