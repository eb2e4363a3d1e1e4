// A Proposal as manifest text, and `trace --run --write`: the new entries
// are inserted into the manifest's own `libraries:` and `files:` lists (or
// those lists are appended at the end), editing the text line by line so
// every comment, key order and quoting style of the user's file survives.
// Block lists get new items with the indentation of their existing items;
// one-line flow lists (`libraries: [a, b]`) get them before the `]`. The
// edited text must load as a manifest before anything is written.
#pragma once

#include <string>

#include <slimbuild/runtrace/usage.hpp>

namespace slimbuild::runtrace {

// A YAML scalar for `s`: plain when that is unambiguous, else double-quoted.
std::string yaml_scalar(const std::string& s);

// "{src: /a, dest: /a}" (mode "0755" for executables).
std::string file_item(const FileLine& line);

// The lines to paste: "libraries:\n  - /x.so\nfiles:\n  - {src: ...}\n";
// executed programs are `files:` items too. Empty for an empty proposal.
std::string render_lines(const Proposal& proposal);

// `manifest_text` with the proposal's entries added. Throws Error when a
// list is written in a form this editor does not change (a flow list over
// several lines), naming the line.
std::string add_to_manifest(const std::string& manifest_text, const Proposal& proposal);

}  // namespace slimbuild::runtrace
