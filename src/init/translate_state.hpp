// The working state of the Dockerfile translation (translate.cpp), shared
// by the files that handle one kind of instruction: COPY/ADD and the choice
// of the binary (translate_copy.cpp), USER and the users RUN lines created
// (translate_user.cpp). Private to src/init.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <slimbuild/init/translate.hpp>

namespace slimbuild::init::detail {

struct Copy {
  int line = 0;
  std::string src;        // as written (context-relative)
  std::string from;       // --from value, empty for the build context
  std::string image_path; // where a single source lands in the image
  std::string dest;       // as the manifest will say it ("/etc/app/" for a directory)
  std::optional<std::string> mode;
};

struct State {
  explicit State(const TranslateOptions& o) : opt(o) {}
  const TranslateOptions& opt;
  Starter s;
  std::map<std::string, std::string> vars;   // ARG and ENV values for expansion
  std::map<std::string, UserRecord> users;
  std::map<std::string, uint32_t> groups;
  std::set<std::string> stage_names;
  std::string workdir = "/";
  std::vector<Copy> copies;
  std::optional<std::vector<std::string>> entrypoint, cmd;
  int entrypoint_line = 0, cmd_line = 0;
  bool tz_package = false, ca_package = false;
  std::optional<std::string> localtime_zone;
  std::string user_spec;  // USER as written (expanded)
  int user_line = 0;
  std::string base;       // FROM image of the last stage

  void note(const Instruction& in, std::string why) { s.untranslated.push_back({in.line, in.text, std::move(why)}); }
};

// "/app" + "bin/x" -> "/app/bin/x", normalised; an absolute path stays itself.
std::string join_image_path(const std::string& base, const std::string& p);

void apply_copy(State& st, const Instruction& in, std::string args);
// The COPY that put `program` (ENTRYPOINT/CMD's first word) in the image, or null.
const Copy* find_binary(const State& st, const std::string& program);
std::string manifest_source(const std::string& src, const TranslateOptions& opt);

void apply_user(State& st, const Instruction& in, const std::string& spec);
// The user: block from the last non-root USER and the RUN lines that created it.
void finish_user(State& st);

}  // namespace slimbuild::init::detail
