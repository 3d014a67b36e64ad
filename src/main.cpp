// Herald: one binary, subcommands. Invoked as `sendmail`, it is sendmail(1).
#include <filesystem>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "cli/sendmail_command.hpp"

int main(int argc, char** argv) {
    std::string program = std::filesystem::path(argc > 0 ? argv[0] : "herald").filename();
    if (program == "sendmail") {
        return herald::cli::run_sendmail(std::vector<std::string>(argv + 1, argv + argc), "");
    }
    return herald::cli::run(argc, argv);
}
