// The Dockerfile lexer of `slimbuild init --from-dockerfile`: logical lines,
// continuations (with comments and blank lines inside), the escape
// directive, flags, the JSON exec form with escapes, heredocs, and hostile
// input (empty, huge, binary, unterminated) that must never crash or hang.
#include <catch2/catch.hpp>

#include <chrono>
#include <random>

#include <slimbuild/init/dockerfile.hpp>

using namespace slimbuild::init;

TEST_CASE("init dockerfile: keywords, arguments and line numbers", "[init]") {
  Dockerfile d = parse_dockerfile("# a comment\n\nfrom alpine:3.19 AS base\n  workdir   /app  \r\nEXPOSE 3000\n");
  REQUIRE(d.instructions.size() == 3);
  CHECK(d.notes.empty());
  CHECK(d.instructions[0].keyword == "FROM");
  CHECK(d.instructions[0].args == "alpine:3.19 AS base");
  CHECK(d.instructions[0].line == 3);
  CHECK(d.instructions[1].keyword == "WORKDIR");
  CHECK(d.instructions[1].args == "/app");  // CR and blanks trimmed
  CHECK(d.instructions[2].line == 5);
}

TEST_CASE("init dockerfile: continuations join lines and skip comments inside", "[init]") {
  Dockerfile d = parse_dockerfile(
      "RUN apk add \\\n"
      "# a comment in the middle\n"
      "\n"
      "    ca-certificates \\\n"
      "    tzdata\n"
      "USER app\n");
  REQUIRE(d.instructions.size() == 2);
  CHECK(d.instructions[0].args == "apk add     ca-certificates     tzdata");
  CHECK(d.instructions[0].line == 1);
  CHECK(d.instructions[0].end_line == 5);
  CHECK(d.instructions[1].line == 6);
  // A continuation at the end of the file ends the instruction.
  Dockerfile t = parse_dockerfile("RUN echo \\");
  REQUIRE(t.instructions.size() == 1);
  CHECK(t.instructions[0].args == "echo");
}

TEST_CASE("init dockerfile: the escape directive changes the continuation character", "[init]") {
  Dockerfile d = parse_dockerfile("# escape=`\nFROM scratch\nCOPY a.exe `\n  C:\\app\\a.exe\n");
  REQUIRE(d.instructions.size() == 2);
  CHECK(d.instructions[1].args == "a.exe   C:\\app\\a.exe");
  // After the first instruction it is an ordinary comment.
  Dockerfile late = parse_dockerfile("FROM scratch\n# escape=`\nRUN a `\nRUN b\n");
  REQUIRE(late.instructions.size() == 3);
}

TEST_CASE("init dockerfile: flags of COPY and FROM", "[init]") {
  Dockerfile d = parse_dockerfile("COPY --from=builder --chmod=755 --link /out/app /app/app\nFROM --platform=$BUILDPLATFORM golang AS b\n");
  REQUIRE(d.instructions.size() == 2);
  const auto& f = d.instructions[0].flags;
  REQUIRE(f.size() == 3);
  CHECK(f[0] == std::pair<std::string, std::string>{"from", "builder"});
  CHECK(f[1] == std::pair<std::string, std::string>{"chmod", "755"});
  CHECK(f[2] == std::pair<std::string, std::string>{"link", ""});
  CHECK(d.instructions[0].args == "/out/app /app/app");
  CHECK(d.instructions[1].flags.size() == 1);
  CHECK(d.instructions[1].args == "golang AS b");
}

TEST_CASE("init dockerfile: the exec form is a JSON array of strings, with escapes", "[init]") {
  Dockerfile d = parse_dockerfile(
      "ENTRYPOINT [\"/app/service\", \"--name=\\\"x\\\"\", \"tab\\there\", \"\\u00e9\\ud83d\\ude00\", \"a\\\\b\"]\n"
      "CMD []\n"
      "CMD [\"unterminated\n"
      "CMD [\"/bin/app\", 1]\n"
      "CMD [\"bad \\ud800 surrogate\"]\n"
      "CMD [\"a\"] trailing\n");
  REQUIRE(d.instructions.size() == 6);
  REQUIRE(d.instructions[0].exec_form);
  CHECK(d.instructions[0].argv ==
        std::vector<std::string>{"/app/service", "--name=\"x\"", "tab\there", "\xc3\xa9\xf0\x9f\x98\x80", "a\\b"});
  CHECK(d.instructions[1].exec_form);
  CHECK(d.instructions[1].argv.empty());
  // Not valid JSON arrays of strings: the shell form, as Docker does.
  for (size_t i = 2; i < 6; ++i) CHECK_FALSE(d.instructions[i].exec_form);
}

TEST_CASE("init dockerfile: heredocs are consumed whole and marked", "[init]") {
  Dockerfile d = parse_dockerfile(
      "FROM scratch\n"
      "RUN <<EOF\n"
      "apk add curl\n"
      "USER root\n"
      "EOF\n"
      "COPY <<-'CONF' /etc/app.conf\n"
      "\tlevel=info\n"
      "\tCONF\n"
      "USER app\n");
  REQUIRE(d.instructions.size() == 4);
  CHECK(d.instructions[1].heredoc);
  CHECK(d.instructions[1].end_line == 5);
  CHECK(d.instructions[2].heredoc);
  CHECK(d.instructions[2].end_line == 8);
  CHECK(d.instructions[3].keyword == "USER");
  CHECK(d.instructions[3].args == "app");
  // Unterminated: the rest of the file is the body, nothing crashes.
  Dockerfile u = parse_dockerfile("RUN <<EOF\necho\n");
  REQUIRE(u.instructions.size() == 1);
  CHECK(u.instructions[0].heredoc);
}

TEST_CASE("init dockerfile: lines that are not instructions or not text are noted", "[init]") {
  std::string text = "FROM scratch\n123 not a keyword\nUSER \xff\xfe\nLABEL a=\x1b[31m\nEXPOSE 80\n";
  Dockerfile d = parse_dockerfile(text);
  REQUIRE(d.instructions.size() == 2);
  REQUIRE(d.notes.size() == 3);
  CHECK(d.notes[0].line == 2);
  CHECK(d.notes[0].why == "not a Dockerfile instruction");
  CHECK(d.notes[1].line == 3);
  CHECK(d.notes[1].text.find("\\xff") != std::string::npos);  // shown escaped, never raw
  CHECK(d.notes[2].text.find('\x1b') == std::string::npos);
}

TEST_CASE("init dockerfile: shell words", "[init]") {
  CHECK(split_words("a 'b c' \"d \\\"e\\\"\" f\\ g") == std::vector<std::string>{"a", "b c", "d \"e\"", "f g"});
  CHECK(split_words("   ").empty());
  CHECK(split_words("'unterminated") == std::vector<std::string>{"unterminated"});
}

TEST_CASE("init dockerfile: empty, huge and random input never crash", "[init]") {
  CHECK(parse_dockerfile("").instructions.empty());
  CHECK(parse_dockerfile("\n\n\\\n").notes.size() <= 1);
  // 4 MiB of one continued line and 200k lines: linear time.
  auto start = std::chrono::steady_clock::now();
  std::string huge(4 << 20, 'a');
  huge = "RUN " + huge + "\\\n" + huge;
  CHECK(parse_dockerfile(huge).instructions.size() == 1);
  std::string many;
  for (int i = 0; i < 200000; ++i) many += "ENV A" + std::to_string(i) + "=1\n";
  CHECK(parse_dockerfile(many).instructions.size() == 200000);
  std::string nested = "CMD " + std::string(1 << 20, '[');
  CHECK_FALSE(parse_dockerfile(nested).instructions.at(0).exec_form);
  std::string heredocs;
  for (int i = 0; i < 10000; ++i) heredocs += "<<A" + std::to_string(i) + " ";
  CHECK(parse_dockerfile("RUN " + heredocs + "\n").instructions.size() == 1);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));

  std::mt19937 rng(13);
  const std::string alphabet = "FROMCOPYRUN[]\"\\`<>-=:# \n\t\r\x00\xff{}$'ADD";
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    size_t len = rng() % 300;
    for (size_t i = 0; i < len; ++i) s += alphabet[rng() % alphabet.size()];
    Dockerfile d = parse_dockerfile(s);
    for (const auto& in : d.instructions) CHECK(!in.keyword.empty());
  }
}
