#include "spool/name_list.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald::spool {
namespace {

TEST(NameList, SortsAndFindsNames) {
    NameList names;
    for (const char* name : {"1k0wj780h9gzdafbbx3n", "1k0wj780h9gzdafbbx3m", "0zz", "b"}) {
        names.add(name);
    }
    names.sort();
    ASSERT_EQ(names.size(), 4u);
    EXPECT_EQ(names[0], "0zz");
    EXPECT_EQ(names[1], "1k0wj780h9gzdafbbx3m");
    EXPECT_EQ(names[2], "1k0wj780h9gzdafbbx3n");
    EXPECT_EQ(names[3], "b");
    EXPECT_TRUE(names.contains("b"));
    EXPECT_TRUE(names.contains("1k0wj780h9gzdafbbx3m"));
    EXPECT_FALSE(names.contains("1k0wj780h9gzdafbbx3"));  // a prefix is not the name
    EXPECT_FALSE(names.contains("c"));
}

TEST(NameList, TakesNoEmptyNameAndNoneLongerThanAFileNameCanBe) {
    NameList names;
    names.add("");
    names.add(std::string(256, 'a'));
    names.add(std::string(255, 'a'));
    names.sort();
    ASSERT_EQ(names.size(), 1u);
    EXPECT_EQ(names[0].size(), 255u);
    EXPECT_TRUE(NameList().empty());
}

}  // namespace
}  // namespace herald::spool
