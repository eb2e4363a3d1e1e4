// The RUN lines `init --from-dockerfile` understands: package installs (only
// ca-certificates and tzdata have a manifest equivalent, the rest are named),
// the package managers' update/clean chores, user and group creation (so
// `USER www-data` resolves to the uid the Dockerfile gave it), and the
// localtime link that goes with `ENV TZ`. A line is split into commands on
// `&&`, `||` and `;` outside quotes; any command not recognised is returned
// as written so the caller can name it.
#include <slimbuild/init/translate.hpp>

#include <charconv>
#include <set>

namespace slimbuild::init {

namespace {

std::vector<std::string> split_commands(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < s.size()) { cur += c; c = s[++i]; }
      cur += c;
      continue;
    }
    if (c == '\'' || c == '"') { quote = c; cur += c; continue; }
    if (c == '\\' && i + 1 < s.size()) { cur += c; cur += s[++i]; continue; }
    bool sep2 = i + 1 < s.size() && ((c == '&' && s[i + 1] == '&') || (c == '|' && s[i + 1] == '|'));
    if (sep2 || c == ';') {
      out.push_back(cur);
      cur.clear();
      if (sep2) ++i;
      continue;
    }
    cur += c;
  }
  out.push_back(cur);
  std::vector<std::string> trimmed;
  for (auto& c : out) {
    size_t b = c.find_first_not_of(" \t"), e = c.find_last_not_of(" \t");
    if (b != std::string::npos) trimmed.push_back(c.substr(b, e - b + 1));
  }
  return trimmed;
}


bool is_assignment(const std::string& w) {
  size_t eq = w.find('=');
  if (eq == 0 || eq == std::string::npos) return false;
  for (size_t i = 0; i < eq; ++i)
    if (!(std::isalnum(static_cast<unsigned char>(w[i])) || w[i] == '_')) return false;
  return true;
}

// apk add / apt-get install / dnf install ...: the package names (options
// skipped, with the few that take a value).
bool read_package_command(const std::vector<std::string>& w, RunEffects& fx) {
  static const std::set<std::string> managers{"apk", "apt-get", "apt", "dnf", "yum", "microdnf"};
  if (w.empty() || !managers.count(w[0])) return false;
  size_t i = 1;
  auto skip_opts = [&] {
    while (i < w.size() && w[i].size() > 1 && w[i][0] == '-') {
      const std::string& o = w[i++];
      if ((o == "--virtual" || o == "-t" || o == "--repository" || o == "-X" || o == "-o") && i < w.size()) ++i;
    }
  };
  skip_opts();
  if (i >= w.size()) return false;
  const std::string sub = w[i++];
  static const std::set<std::string> chores{"update", "upgrade", "clean", "autoremove", "autoclean", "dist-upgrade",
                                            "makecache", "cache"};
  if (chores.count(sub)) return true;
  if (sub != "add" && sub != "install") return false;
  while (i < w.size()) {
    skip_opts();
    if (i < w.size()) {
      std::string pkg = w[i++];
      // apt's `pkg=1.2` and apk's `pkg=1.2-r0` / `pkg>1`: the name.
      size_t cut = pkg.find_first_of("=<>~");
      fx.packages.push_back(cut == std::string::npos ? pkg : pkg.substr(0, cut));
    }
  }
  return true;
}

bool read_user_command(const std::vector<std::string>& w, RunEffects& fx) {
  if (w.empty()) return false;
  const std::string& cmd = w[0];
  bool adduser = cmd == "adduser", useradd = cmd == "useradd", addgroup = cmd == "addgroup", groupadd = cmd == "groupadd";
  if (!adduser && !useradd && !addgroup && !groupadd) return false;
  // Options that take a value, per tool (busybox and Debian spellings).
  std::set<std::string> with_value;
  if (adduser) with_value = {"-h", "-g", "-s", "-G", "-u", "-k", "--home", "--shell", "--uid", "--gid", "--ingroup",
                             "--gecos", "--comment", "--conf", "--firstuid", "--lastuid", "--add-extra-groups"};
  if (useradd) with_value = {"-u", "-g", "-G", "-s", "-d", "-c", "-k", "-K", "-e", "-f", "-p", "-b", "-Z", "--uid",
                             "--gid", "--groups", "--shell", "--home-dir", "--comment", "--skel", "--key",
                             "--expiredate", "--inactive", "--password", "--base-dir", "--selinux-user"};
  if (addgroup || groupadd) with_value = {"-g", "-K", "-p", "--gid", "--key", "--password"};
  std::map<std::string, std::string> opts;
  std::vector<std::string> positional;
  bool system = false, group_flag = false;
  for (size_t i = 1; i < w.size(); ++i) {
    std::string o = w[i];
    std::string value;
    bool has_inline = false;
    if (o.rfind("--", 0) == 0 && o.find('=') != std::string::npos) {
      value = o.substr(o.find('=') + 1);
      o = o.substr(0, o.find('='));
      has_inline = true;
    }
    if (o.size() > 1 && o[0] == '-') {
      if (o == "-S" || o == "-r" || o == "--system") system = true;
      if (o == "--group" || o == "-U" || o == "--user-group") group_flag = true;
      if (with_value.count(o)) {
        if (!has_inline) {
          if (i + 1 >= w.size()) return false;
          value = w[++i];
        }
        opts[o] = value;
      }
      continue;
    }
    positional.push_back(o);
  }
  if (positional.empty()) return false;
  const std::string& name = positional[0];
  auto get = [&](std::initializer_list<const char*> keys) -> std::optional<std::string> {
    for (const char* k : keys)
      if (opts.count(k)) return opts[k];
    return std::nullopt;
  };
  if (addgroup || groupadd) {
    if (positional.size() > 1) return true;  // busybox `addgroup USER GROUP`: membership only
    if (auto g = get({"-g", "--gid"}); g && parse_id(*g)) fx.groups[name] = *parse_id(*g);
    return true;
  }
  if (adduser && positional.size() > 1) return true;  // `adduser USER GROUP`: membership only
  UserRecord rec;
  if (auto u = get({"-u", "--uid"})) {
    rec.uid = parse_id(*u);
    if (!rec.uid) return false;
  }
  std::optional<std::string> group = useradd ? get({"-g", "--gid"}) : get({"-G", "--ingroup", "--gid"});
  if (group) {
    if (auto n = parse_id(*group)) rec.gid = n; else rec.group = *group;
  } else if (adduser && system && !group_flag && opts.count("--uid") == 0) {
    rec.busybox_system = true;
  }
  if (group_flag && !group) rec.group = name;
  fx.users[name] = rec;
  return true;
}

std::optional<std::string> zone_of(const std::string& path) {
  const std::string prefix = "/usr/share/zoneinfo/";
  if (path.rfind(prefix, 0) != 0 || path.size() == prefix.size()) return std::nullopt;
  return path.substr(prefix.size());
}

bool read_zone_command(const std::vector<std::string>& w, RunEffects& fx) {
  if (w.size() >= 3 && (w[0] == "ln" || w[0] == "cp") && w.back() == "/etc/localtime") {
    for (size_t i = 1; i + 1 < w.size(); ++i) {
      if (w[i][0] == '-') continue;
      if (auto z = zone_of(w[i])) { fx.localtime_zone = *z; return true; }
      return false;
    }
    return false;
  }
  // echo $TZ > /etc/timezone: the Debian spelling of the same setting.
  if (w.size() >= 2 && w[0] == "echo" && (w.back() == "/etc/timezone" || w.back() == ">/etc/timezone")) return true;
  return false;
}

bool read_cleanup_command(const std::vector<std::string>& w) {
  if (w.size() < 2 || w[0] != "rm") return false;
  for (size_t i = 1; i < w.size(); ++i) {
    if (w[i][0] == '-') continue;
    if (w[i].rfind("/var/lib/apt/lists", 0) != 0 && w[i].rfind("/var/cache/apk", 0) != 0 &&
        w[i].rfind("/var/cache/apt", 0) != 0 && w[i].rfind("/tmp/", 0) != 0 && w[i].rfind("/var/cache/dnf", 0) != 0 &&
        w[i].rfind("/var/cache/yum", 0) != 0)
      return false;
  }
  return true;
}

}  // namespace

std::optional<uint32_t> parse_id(const std::string& s) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

RunEffects read_run_line(const std::string& shell_command) {
  RunEffects fx;
  for (const auto& command : split_commands(shell_command)) {
    std::vector<std::string> w = split_words(command);
    // `DEBIAN_FRONTEND=noninteractive apt-get ...`, `set -eux`: the command itself.
    while (!w.empty() && is_assignment(w[0])) w.erase(w.begin());
    if (w.empty()) continue;
    if (w[0] == "set" || w[0] == "true" || w[0] == ":") continue;
    if (w[0] == "update-ca-certificates") { fx.ca_update = true; continue; }
    if (read_package_command(w, fx) || read_user_command(w, fx) || read_zone_command(w, fx) || read_cleanup_command(w))
      continue;
    fx.unrecognised.push_back(command);
  }
  return fx;
}

std::string manifest_name(const std::string& file_name) {
  std::string out;
  for (char c : file_name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) && u < 0x80) out += static_cast<char>(std::tolower(u));
    else if (c == '.' || c == '_' || c == '-') out += c;
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.front()))) out.erase(out.begin());
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.back()))) out.pop_back();
  if (out.size() > 63) out.resize(63);
  return out.empty() ? "app" : out;
}

}  // namespace slimbuild::init
