#pragma once
// The one way this project includes toml++. Version 3.3 asserts (aborts) on some malformed
// table headers such as "[[[" or "[=]" where it means to report a parse error, which it
// does once the assertion is off. A config file must never abort herald, so the assertion
// hook (TOML_ASSERT, documented as user-settable) is a no-op here.
#ifndef TOML_ASSERT
#define TOML_ASSERT(expr) static_cast<void>(0)
#endif
#include <toml++/toml.h>
