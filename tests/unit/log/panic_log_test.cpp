#include "log/panic_log.hpp"

#include <gtest/gtest.h>

#include "log_test_support.hpp"

namespace herald::log {
namespace {

TEST(PanicLog, LineHasContextAndWhat) {
    TempLogDir dir;
    auto log = PanicLog::open(dir / "paniclog");
    ASSERT_TRUE(log);
    (*log)->write("spool store", "fdatasync var/spool/incoming/x: Input/output error");
    (*log)->write("smtp session 192.0.2.1", "unexpected\nexception");
    auto lines = lines_of(dir / "paniclog");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(after_timestamp(lines[0]),
              "spool store: fdatasync var/spool/incoming/x: Input/output error");
    EXPECT_EQ(after_timestamp(lines[1]), "smtp session 192.0.2.1: \"unexpected\\nexception\"");
}

}  // namespace
}  // namespace herald::log
