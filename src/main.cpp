// Herald: one binary, subcommands. Invoked as `sendmail`, it is sendmail(1); as `mailq`,
// `herald queue list`.
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
    if (program == "mailq") {
        std::vector<char*> args{argv[0], const_cast<char*>("queue"), const_cast<char*>("list")};
        args.insert(args.end(), argv + 1, argv + argc);
        args.push_back(nullptr);
        return herald::cli::run(static_cast<int>(args.size() - 1), args.data());
    }
    return herald::cli::run(argc, argv);
}
