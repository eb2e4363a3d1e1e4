// USER in the last stage (see translate.cpp): a uid, or a name resolved
// through the adduser/useradd/addgroup/groupadd RUN lines before it (and the
// well-known nonroot/nobody); root, uid 0 and gid 0 are refused with a note
// and a new non-root user takes their place.
#include "init/translate_state.hpp"

namespace slimbuild::init::detail {

namespace {

bool valid_user_name(const std::string& n) {
  bool ok = !n.empty() && n.size() <= 32 && (n[0] == '_' || (n[0] >= 'a' && n[0] <= 'z'));
  for (size_t i = 1; ok && i < n.size(); ++i)
    ok = (n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '_' || n[i] == '-';
  return ok;
}

}  // namespace

void apply_user(State& st, const Instruction& in, const std::string& spec) {
  std::string user = spec.substr(0, spec.find(':'));
  if (user == "root" || user == "0") {
    st.note(in, "USER " + spec + ": slimbuild refuses root; the image runs as a new non-root user (see user:)");
    st.user_spec.clear();
    return;
  }
  st.user_spec = spec;
  st.user_line = in.line;
}

// The user: block from USER and the adduser/useradd lines before it.
void finish_user(State& st) {
  Starter& s = st.s;
  if (st.user_spec.empty()) {
    s.user_comments.push_back("the Dockerfile runs as root (no non-root USER); slimbuild refuses root, so this is a new user");
    return;
  }
  std::string user = st.user_spec.substr(0, st.user_spec.find(':'));
  std::string group = st.user_spec.find(':') == std::string::npos ? "" : st.user_spec.substr(st.user_spec.find(':') + 1);
  std::string where = "USER " + st.user_spec + " (line " + std::to_string(st.user_line) + ")";
  if (auto uid = parse_id(user)) {
    s.uid = *uid;
    for (const auto& [name, rec] : st.users)
      if (rec.uid == uid && valid_user_name(name)) s.user_name = name;
    s.user_comments.push_back("from " + where);
  } else if (auto it = st.users.find(user); it != st.users.end() && it->second.uid) {
    s.uid = *it->second.uid;
    s.user_name = user;
    s.user_comments.push_back("from " + where + " and the RUN line that created it");
    if (it->second.gid) s.gid = *it->second.gid;
    else if (!it->second.group.empty() && st.groups.count(it->second.group)) s.gid = st.groups[it->second.group];
    if (it->second.busybox_system && !s.gid)
      s.user_comments.push_back("Alpine's `adduser -S` put it in group nogroup (65533); here its group has gid = uid");
  } else if (user == "nonroot" || user == "nobody") {
    s.uid = user == "nonroot" ? 65532 : 65534;
    s.user_name = user;
    s.user_comments.push_back("from " + where + " (the " + user + " user of distroless/Debian)");
  } else {
    s.user_name = valid_user_name(user) ? user : "app";
    s.untranslated.push_back({st.user_line, "USER " + shorten(st.user_spec), "no uid for '" + user +
                              "' in the Dockerfile: uid 65532 is used; set user.uid to the one the program expects"});
  }
  if (!valid_user_name(s.user_name)) s.user_name = "app";
  if (!group.empty()) {
    if (auto gid = parse_id(group)) s.gid = *gid;
    else if (st.groups.count(group)) s.gid = st.groups[group];
    else s.untranslated.push_back({st.user_line, "USER " + shorten(st.user_spec), "no gid for group '" + group + "': gid = uid is used"});
  }
  if (s.uid == 0 || (s.gid && *s.gid == 0)) {
    s.untranslated.push_back({st.user_line, "USER " + shorten(st.user_spec), "resolves to uid or gid 0: slimbuild refuses root; uid 65532 is used"});
    s.uid = 65532;
    s.gid.reset();
    s.user_name = "app";
  }
}

}  // namespace slimbuild::init::detail
