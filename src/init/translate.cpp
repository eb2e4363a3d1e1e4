// Dockerfile -> starter manifest (see translate.hpp and docs/init.md). The
// last build stage is the image; earlier stages are named as not translated
// (slimbuild does not compile). Within the stage, instructions are applied
// in order with Docker's variable expansion for ARG and ENV; the COPY whose
// destination is the program ENTRYPOINT/CMD runs becomes `binary:`, every
// other COPY a `files:` entry. Each instruction either maps onto manifest
// keys, is a no-op in an image without a shell or package manager, or is
// recorded as a Note with the reason.
#include <slimbuild/init/translate.hpp>

#include "init/translate_state.hpp"

#include <algorithm>
#include <set>

#include <slimbuild/util/error.hpp>

namespace slimbuild::init {

namespace fs = std::filesystem;

using namespace detail;

std::string detail::join_image_path(const std::string& base, const std::string& p) {
  fs::path r = (!p.empty() && p[0] == '/') ? fs::path(p) : fs::path(base) / p;
  std::string n = r.lexically_normal().generic_string();
  if (n.size() > 1 && n.back() == '/') n.pop_back();
  return n.empty() ? "/" : n;
}

namespace {

// Docker's expansion of $NAME, ${NAME}, ${NAME:-word} and ${NAME:+word};
// `\$` is a literal dollar. Sets `missing` to a variable with no value.
std::string expand(const std::string& in, const std::map<std::string, std::string>& vars, std::string& missing) {
  std::string out;
  auto is_name = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\\' && i + 1 < in.size() && in[i + 1] == '$') { out += '$'; ++i; continue; }
    if (c != '$' || i + 1 >= in.size()) { out += c; continue; }
    std::string name, word;
    char op = 0;
    if (in[i + 1] == '{') {
      size_t close = in.find('}', i + 2);
      if (close == std::string::npos) { out += c; continue; }
      std::string inner = in.substr(i + 2, close - i - 2);
      size_t colon = inner.find(':');
      name = inner.substr(0, colon);
      if (colon != std::string::npos && colon + 1 < inner.size()) {
        op = inner[colon + 1];
        word = inner.substr(colon + 2);
      }
      i = close;
    } else if (is_name(in[i + 1])) {
      size_t j = i + 1;
      while (j < in.size() && is_name(in[j])) ++j;
      name = in.substr(i + 1, j - i - 1);
      i = j - 1;
    } else {
      out += c;
      continue;
    }
    auto it = vars.find(name);
    bool set = it != vars.end() && !it->second.empty();
    if (op == '-') out += set ? it->second : word;
    else if (op == '+') out += set ? word : "";
    else if (it != vars.end()) out += it->second;
    else if (missing.empty()) missing = name;
  }
  return out;
}

// ENV / LABEL arguments: `K=V K2="V 2"`, or the legacy `K V with spaces`.
std::vector<std::pair<std::string, std::string>> pairs(const std::string& args) {
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::string> words = split_words(args);
  if (words.empty()) return out;
  if (words[0].find('=') == std::string::npos || words[0].front() == '=') {
    size_t sp = args.find_first_of(" \t");
    if (sp == std::string::npos) return out;
    std::string value = args.substr(sp);
    value.erase(0, value.find_first_not_of(" \t"));
    std::vector<std::string> vw = split_words(value);  // quotes removed, like Docker
    std::string joined;
    if (vw.size() == 1) joined = vw[0];
    else joined = value;
    out.emplace_back(words[0], joined);
    return out;
  }
  for (const auto& w : words) {
    size_t eq = w.find('=');
    if (eq == std::string::npos || eq == 0) return {};
    out.emplace_back(w.substr(0, eq), w.substr(eq + 1));
  }
  return out;
}

bool env_name_ok(const std::string& n) {
  bool ok = !n.empty() && !std::isdigit(static_cast<unsigned char>(n[0]));
  for (char c : n) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  return ok;
}

void classify_base(State& st, const Instruction& in, const std::string& image) {
  std::string low;
  for (char c : image) low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string repo = low.substr(0, low.find_first_of(":@"));
  std::string last = repo.substr(repo.rfind('/') == std::string::npos ? 0 : repo.rfind('/') + 1);
  st.base = image;
  if (low == "scratch") return;
  if (low.find("distroless") != std::string::npos) {
    st.s.ca_certificates = true;
    st.s.ca_comments.push_back("the distroless base image carries the CA bundle");
    if (!st.tz_package) st.s.tz_comments.push_back("the distroless base image carries the time-zone database");
    st.tz_package = true;
    if (low.find("nonroot") != std::string::npos && st.user_spec.empty()) {
      st.user_spec = "nonroot";
      st.user_line = in.line;
    }
    st.s.remarks.push_back("line " + std::to_string(in.line) + ": FROM " + image +
                           ": the image is built from scratch with what distroless provides (CA bundle, zones, "
                           "passwd) and the binary's own libraries");
    return;
  }
  static const std::set<std::string> distros{"alpine", "debian", "ubuntu", "busybox", "fedora", "centos",
                                             "rockylinux", "almalinux", "amazonlinux", "ubi", "ubi-minimal",
                                             "ubi8", "ubi9", "ubi8-minimal", "ubi9-minimal", "opensuse", "leap"};
  if (distros.count(last)) {
    std::string r = "line " + std::to_string(in.line) + ": FROM " + image +
                    ": not used; the image holds only the binary, the libraries it loads and the files below "
                    "(no shell, no package manager)";
    if (last == "alpine")
      r += "; a binary built against Alpine's musl needs its libraries: build it for this machine's libc, or set "
           "sysroot: to an Alpine root";
    st.s.remarks.push_back(r);
    return;
  }
  if (st.stage_names.count(low)) {
    st.note(in, "builds on the earlier stage '" + image + "', which slimbuild does not run");
    return;
  }
  st.note(in, "base image '" + image + "' is not one init knows (scratch, distroless, alpine, debian, ubuntu): "
              "none of its files are in the image; add what the program needs under files: or libraries:");
}

void apply_run(State& st, const Instruction& in) {
  if (in.heredoc) return st.note(in, "heredoc RUN: slimbuild images have no shell to run it");
  if (in.exec_form) return st.note(in, "RUN in exec form: nothing runs while slimbuild builds; add its output under files:");
  RunEffects fx = read_run_line(in.args);
  std::vector<std::string> other;
  for (const auto& p : fx.packages) {
    if (p == "ca-certificates" || p == "ca-certificates-bundle") st.ca_package = true;
    else if (p == "tzdata") st.tz_package = true;
    else other.push_back(p);
  }
  if (fx.ca_update) st.ca_package = true;
  for (auto& [name, rec] : fx.users) st.users[name] = rec;
  for (auto& [name, gid] : fx.groups) st.groups[name] = gid;
  if (fx.localtime_zone) st.localtime_zone = fx.localtime_zone;
  std::string why;
  if (!other.empty()) {
    why = "package";
    why += other.size() == 1 ? " " : "s ";
    for (size_t i = 0; i < other.size(); ++i) why += (i ? ", " : "") + other[i];
    why += " not installed: slimbuild images hold no packages (list a dlopen()ed library under libraries:, "
           "data files under files:)";
  }
  if (!fx.unrecognised.empty()) {
    if (!why.empty()) why += "; ";
    why += "not run: ";
    for (size_t i = 0; i < fx.unrecognised.size(); ++i) why += (i ? "; " : "") + shorten(fx.unrecognised[i], 80);
    why += " (nothing runs while slimbuild builds: add what it makes under files:, a directory the program "
           "writes under writable:)";
  }
  if (!why.empty()) st.note(in, why);
}

// The program the image runs, as written in ENTRYPOINT (else CMD).
std::optional<std::string> program_of(const State& st) {
  if (st.entrypoint && !st.entrypoint->empty()) return st.entrypoint->front();
  if (st.cmd && !st.cmd->empty()) return st.cmd->front();
  return std::nullopt;
}

void apply_command(State& st, const Instruction& in, const std::string& args, bool is_entrypoint) {
  std::vector<std::string> argv;
  if (in.exec_form) {
    argv = in.argv;
  } else {
    if (args.find_first_of("$|&;<>()`*?~") != std::string::npos) {
      st.note(in, in.keyword + " in shell form uses shell syntax, and the image has no shell: write it as an exec "
                  "form list under " + (is_entrypoint ? "entrypoint:" : "cmd:"));
      return;
    }
    argv = split_words(args);
    st.s.remarks.push_back("line " + std::to_string(in.line) + ": " + in.keyword +
                           " in shell form runs the program directly here (the image has no /bin/sh)");
  }
  if (is_entrypoint) { st.entrypoint = argv; st.entrypoint_line = in.line; }
  else { st.cmd = argv; st.cmd_line = in.line; }
}

void apply(State& st, const Instruction& in) {
  const std::string& k = in.keyword;
  if (k == "ARG") {
    for (const auto& w : split_words(in.args)) {
      size_t eq = w.find('=');
      std::string name = w.substr(0, eq);
      if (eq != std::string::npos) { std::string m; st.vars[name] = expand(w.substr(eq + 1), st.vars, m); }
      else if (!st.vars.count(name)) st.vars[name];  // declared, empty: `--build-arg` would set it
    }
    return;
  }
  if (k == "RUN") return apply_run(st, in);
  if (k == "HEALTHCHECK" || k == "ONBUILD" || k == "SHELL")
    return st.note(in, k + " has no manifest equivalent" + std::string(k == "HEALTHCHECK" ? " (a health check is the runtime's job: docker run --health-cmd, a Kubernetes probe)" : ""));
  // Not expanded: the exec form never is, and in the shell form `$X` was the shell's job at run time.
  if (k == "CMD" || k == "ENTRYPOINT") return apply_command(st, in, in.args, k == "ENTRYPOINT");
  std::string missing;
  std::string args = in.exec_form ? in.args : expand(in.args, st.vars, missing);
  if (!missing.empty()) return st.note(in, "uses $" + missing + ", which has no value here (give the ARG a default)");
  if (k == "FROM") return;  // handled by the stage split
  if (k == "ENV") {
    auto kv = pairs(args);
    if (kv.empty()) return st.note(in, "ENV without a NAME=value");
    for (auto& [name, value] : kv) {
      st.vars[name] = value;
      if (!env_name_ok(name)) { st.note(in, "'" + name + "' is not an environment variable name"); continue; }
      if (name == "TZ") {
        if (value.empty()) st.s.timezone.reset(); else st.s.timezone = value;
        continue;
      }
      st.s.env[name] = value;
    }
    return;
  }
  if (k == "LABEL") {
    auto kv = pairs(args);
    if (kv.empty()) return st.note(in, "LABEL without a key=value");
    for (auto& [name, value] : kv) st.s.labels[name] = value;
    return;
  }
  if (k == "MAINTAINER") { st.s.labels["org.opencontainers.image.authors"] = args; return; }
  if (k == "EXPOSE") {
    for (const auto& w : split_words(args)) {
      std::string port = w.substr(0, w.find('/'));
      std::string proto = w.find('/') == std::string::npos ? "tcp" : w.substr(w.find('/') + 1);
      for (char& c : proto) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto n = parse_id(port);
      if (!n || *n == 0 || *n > 65535 || (proto != "tcp" && proto != "udp" && proto != "sctp")) {
        st.note(in, "'" + w + "' is not a port (NUMBER or NUMBER/tcp|udp; ranges are not translated)");
        continue;
      }
      std::string p = std::to_string(*n) + "/" + proto;
      if (std::find(st.s.ports.begin(), st.s.ports.end(), p) == st.s.ports.end()) st.s.ports.push_back(p);
    }
    return;
  }
  if (k == "WORKDIR") {
    if (args.empty()) return st.note(in, "WORKDIR without a path");
    st.workdir = join_image_path(st.workdir, args);
    st.s.workdir = st.workdir;
    return;
  }
  if (k == "USER") {
    auto w = split_words(args);
    if (w.size() != 1) return st.note(in, "USER takes one NAME[:GROUP] or UID[:GID]");
    return apply_user(st, in, w[0]);
  }
  if (k == "COPY" || k == "ADD") return apply_copy(st, in, args);
  if (k == "STOPSIGNAL") { st.s.stop_signal = args; return; }
  if (k == "VOLUME") {
    std::vector<std::string> v = in.exec_form ? in.argv : split_words(args);
    for (const auto& p : v) {
      if (p.empty() || p[0] != '/') { st.note(in, "volume '" + p + "' is not an absolute path"); continue; }
      st.s.volumes.push_back(join_image_path("/", p));
    }
    return;
  }
  st.note(in, "unknown instruction " + k);
}

}  // namespace

Starter translate(const Dockerfile& df, const TranslateOptions& opt) {
  State st(opt);
  for (const auto& n : df.notes) st.s.untranslated.push_back(n);

  // Stages: every FROM starts one; the last one is the image.
  std::vector<size_t> stage_starts;
  for (size_t i = 0; i < df.instructions.size(); ++i)
    if (df.instructions[i].keyword == "FROM") stage_starts.push_back(i);
  size_t last = stage_starts.empty() ? 0 : stage_starts.back();
  std::string missing;
  int stage_index = 0;
  for (size_t i = 0; i < last; ++i) {
    const Instruction& in = df.instructions[i];
    if (in.keyword == "FROM") {
      auto w = split_words(in.args);
      if (w.size() == 3) {
        std::string as = w[1];
        for (char& c : as) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (as == "as") {
          std::string name = w[2];
          for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          st.stage_names.insert(name);
        }
      }
      st.stage_names.insert(std::to_string(stage_index++));  // --from=0 names the first stage
    }
    if (in.keyword == "ARG" && (stage_starts.empty() || i < stage_starts.front())) { apply(st, in); continue; }
    st.note(in, "in an earlier build stage, which slimbuild does not run: build its output first");
  }
  if (stage_starts.empty())
    throw Error(opt.dockerfile_label + " has no FROM instruction: it is not a Dockerfile",
                "pass the Dockerfile the image is built from");
  {
    const Instruction& from = df.instructions[last];
    auto words = split_words(expand(from.args, st.vars, missing));
    std::string image = words.empty() ? std::string() : words.front();
    classify_base(st, from, image);
  }
  for (size_t i = last + 1; i < df.instructions.size(); ++i) apply(st, df.instructions[i]);

  Starter& s = st.s;
  s.header.push_back("Translated from " + opt.dockerfile_label + " by `slimbuild init --from-dockerfile`.");
  s.header.push_back("Check it, then build: slimbuild build THIS-FILE -o out/IMAGE");

  // binary: the COPY that puts the program in place.
  std::optional<std::string> program = program_of(st);
  const Copy* bin = program ? find_binary(st, *program) : nullptr;
  if (!program && st.copies.size() == 1) bin = &st.copies.front();
  if (!bin) {
    if (!program)
      throw Error(opt.dockerfile_label + ": neither ENTRYPOINT nor CMD names the program, and the last stage copies "
                  "more or less than one file",
                  "add ENTRYPOINT [\"/path/of/program\"] to the Dockerfile, or write binary: yourself (docs/init.md)");
    throw Error(opt.dockerfile_label + ": no COPY or ADD in the last stage puts the program " + shorten(*program) +
                    " into the image (does it come from the base image " + (st.base.empty() ? "?" : st.base) + "?)",
                "slimbuild images hold one application binary and no shell: COPY your program to the path "
                "ENTRYPOINT runs, or write binary: yourself (docs/init.md)");
  }
  s.binary_path = manifest_source(bin->src, opt);
  s.binary_dest = bin->image_path;
  if (!bin->from.empty())
    s.binary_comments.push_back("built by the build stage '" + bin->from + "' (line " + std::to_string(bin->line) +
                                " copies it from there): build it first so that " + s.binary_path + " exists");
  for (const auto& c : st.copies) {
    if (&c == bin) continue;
    s.files.push_back({manifest_source(c.src, opt), c.dest, c.mode});
    if (!c.from.empty())
      s.remarks.push_back("line " + std::to_string(c.line) + ": " + c.src + " comes from the build stage '" + c.from +
                          "': build it first");
  }
  // ENTRYPOINT/CMD with the program where the binary now is.
  auto rewrite = [&](std::vector<std::string> argv) {
    if (!argv.empty() && argv.front() == *program) argv.front() = s.binary_dest;
    return argv;
  };
  if (st.entrypoint && !st.entrypoint->empty()) {
    s.entrypoint = rewrite(*st.entrypoint);
    if (st.cmd) s.cmd = st.cmd;
  } else if (st.cmd && !st.cmd->empty()) {
    // CMD alone: docker run ARGS replaces the whole command, as here.
    s.entrypoint = std::vector<std::string>{};
    s.cmd = rewrite(*st.cmd);
  }
  s.name = opt.name.empty() ? manifest_name(fs::path(s.binary_dest).filename().string()) : opt.name;

  finish_user(st);
  if (st.ca_package && !s.ca_certificates) {
    s.ca_certificates = true;
    s.ca_comments.push_back("the Dockerfile installs ca-certificates");
  }
  if (!s.timezone && st.localtime_zone && st.localtime_zone->find('$') == std::string::npos)
    s.timezone = st.localtime_zone;
  if (st.tz_package) {
    s.tzdata_all = true;
    if (s.tz_comments.empty()) s.tz_comments.push_back("the Dockerfile installs tzdata (all zones)");
    s.tz_comments.push_back("list only the zones the program loads (e.g. [Europe/Ljubljana, UTC]) for a smaller image");
  }
  if (s.timezone && !st.tz_package)
    s.tz_comments.push_back("timezone: also puts that zone in the image");
  std::stable_sort(s.untranslated.begin(), s.untranslated.end(),
                   [](const Note& a, const Note& b) { return a.line < b.line; });
  return s;
}

}  // namespace slimbuild::init
