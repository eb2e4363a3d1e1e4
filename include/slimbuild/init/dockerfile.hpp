// A Dockerfile as a list of instructions with their line numbers, for
// `slimbuild init --from-dockerfile`. The lexer follows Docker's own rules
// where they matter for hand-written files: one instruction per logical line,
// a trailing escape character (`\`, or the one a `# escape=` directive
// names) joins the next line, comment lines are dropped even inside a
// continuation, keywords are case-insensitive, leading `--flag=value` words
// of FROM/COPY/ADD/RUN are flags, and an argument list that is a JSON array
// of strings is the exec form. Heredocs (`RUN <<EOF ... EOF`) are consumed
// whole and marked so the translator can name them. The input is hostile
// text: parsing is linear, never throws for content, and lines that are not
// UTF-8 text are reported (and skipped) instead of passed on.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slimbuild::init {

// A line the translation could not carry over, and why.
struct Note {
  int line = 0;      // 1-based physical line of the instruction's start
  std::string text;  // the instruction (printable, shortened when long)
  std::string why;
};

struct Instruction {
  int line = 0;         // first physical line
  int end_line = 0;     // last physical line (continuations, heredocs)
  std::string keyword;  // upper-case: "FROM", "COPY", ...
  std::vector<std::pair<std::string, std::string>> flags;  // --from=builder -> {"from", "builder"}
  std::string args;     // everything after the keyword and the flags, continuations joined
  bool exec_form = false;          // args was a JSON array of strings
  std::vector<std::string> argv;   // its elements (exec form only)
  bool heredoc = false;            // a `<<WORD` body was part of it
  std::string text;     // the instruction as written on its first line, for notes
};

struct Dockerfile {
  std::vector<Instruction> instructions;
  std::vector<Note> notes;  // lines the lexer itself had to skip
};

Dockerfile parse_dockerfile(std::string_view text);

// Shell-like words of a shell-form argument string: blanks separate,
// '...' and "..." quote, a backslash escapes the next character outside
// single quotes. Used for COPY, ENV, EXPOSE, USER, shell-form CMD.
std::vector<std::string> split_words(std::string_view args);

// A short, printable form of a line for notes and YAML comments.
std::string shorten(std::string_view text, std::size_t max = 160);

}  // namespace slimbuild::init
