#pragma once
// A temporary log directory and a way to read a log back line by line.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace herald::log {

class TempLogDir {
  public:
    TempLogDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "herald-log-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data());
    }
    ~TempLogDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::filesystem::path operator/(const char* name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

inline std::vector<std::string> lines_of(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The part after "<ts> ", checking that the line starts with a UTC ISO 8601 timestamp.
inline std::string after_timestamp(const std::string& line) {
    // 2026-11-22T20:55:49.123Z
    if (line.size() < 25 || line[4] != '-' || line[10] != 'T' || line[19] != '.' ||
        line[23] != 'Z' || line[24] != ' ') {
        return "<no timestamp: " + line + ">";
    }
    return line.substr(25);
}

}  // namespace herald::log
