// The course's own tests: the slides name only code that exists, and every
// stage deck covers what its stage changes.
//
//     build/tests/course_tests     (run from anywhere inside the repository)
//
// The first test cases check the real decks in slides/; the last ones run
// the same checker over a fixture (tests/course/fixtures/), a tiny course
// whose deck is wrong on purpose, to show that the checker really reports
// each kind of mistake, on the right line.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "slide_check.hpp"

namespace fs = std::filesystem;
using course::check_deck;
using course::check_stage_coverage;
using course::deck_files;
using course::files_changed_by_stage;

namespace {

const fs::path& root() {
    static const fs::path found = course::find_repository_root();
    return found;
}

const fs::path fixture_root() { return root() / "tests/course/fixtures"; }

}  // namespace

TEST_CASE("course: every deck names only files, regions and pictures that exist") {
    const std::vector<std::string> decks = deck_files(root());
    REQUIRE_MESSAGE(!decks.empty(), "no slides/NN-name.md under " << root());
    for (const std::string& deck : decks) {
        for (const std::string& problem : check_deck(root(), deck)) FAIL_CHECK(problem);
    }
}

TEST_CASE("course: every stage deck names each source file its stage changes") {
    for (const std::string& deck : deck_files(root())) {
        for (const std::string& problem : check_stage_coverage(root(), deck)) FAIL_CHECK(problem);
    }
}

TEST_CASE("course: the checker reports each broken reference of the fixture deck") {
    const std::vector<std::string> expected = {
        "slides/02-second.md:12: no region 'no_such_region' in stages/02-second/greet.cpp",
        "slides/02-second.md:13: no file stages/02-second/missing.cpp",
        "slides/02-second.md:14: region 'unfinished' in stages/02-second/greet.cpp has no ANCHOR_END",
        "slides/02-second.md:16: no line with \"goodbye\" in region 'greet' of stages/02-second/greet.cpp",
        "slides/02-second.md:17: '../outside.cpp' must be a path inside the repository",
        "slides/02-second.md:18: unknown option 'lines' (from= and to= exist)",
        "slides/02-second.md:20: cannot read the reference "
        "'stages/02-second/greet.cpp:greet from=goodbye'",
        "slides/02-second.md:27: no region 'gone' in stages/01-first/greet.cpp",
        "slides/02-second.md:28: #diff takes two paths: {{#diff OLD[:REGION] NEW[:REGION]}}",
        "slides/02-second.md:29: unknown reference {{#snippet}} ({{#include}} and {{#diff}} exist)",
        "slides/02-second.md:32: a reference outside a code block is not expanded",
        "slides/02-second.md:34: no picture slides/diagrams/gone.svg",
        "slides/02-second.md:35: picture https://example.com/logo.png would be fetched from the "
        "network; keep it in slides/diagrams/",
        "slides/02-second.md:41: the code of this slide takes 36 rows, long lines wrapped; 19 fit on "
        "a slide, 21 on a slide of class dense: show an excerpt with from=/to=",
        "slides/02-second.md: a code block is never closed",
        "slides/02-second.md:53: the code of this slide takes 20 rows, long lines wrapped; 19 fit on "
        "a slide, 21 on a slide of class dense: show an excerpt with from=/to=",
    };
    const std::vector<std::string> got = check_deck(fixture_root(), "slides/02-second.md");
    CHECK(got == expected);
    // On a mismatch, say which lines differ rather than print two long lists.
    for (const std::string& line : got) {
        if (std::find(expected.begin(), expected.end(), line) == expected.end()) {
            FAIL_CHECK("unexpected: " << line);
        }
    }
    for (const std::string& line : expected) {
        if (std::find(got.begin(), got.end(), line) == got.end()) FAIL_CHECK("missing: " << line);
    }
}

TEST_CASE("course: a stage's changes are the sources that differ from the stage before") {
    CHECK(files_changed_by_stage(fixture_root(), "stages/01-first") ==
          std::vector<std::string>{"greet.cpp", "greet.hpp"});
    // greet.hpp is the same in both stages, so make diff does not show it.
    CHECK(files_changed_by_stage(fixture_root(), "stages/02-second") ==
          std::vector<std::string>{"greet.cpp", "shout.cpp"});
}

TEST_CASE("course: a stage deck that forgets a changed file is reported") {
    CHECK(check_stage_coverage(fixture_root(), "slides/02-second.md") ==
          std::vector<std::string>{
              "slides/02-second.md: never names shout.cpp, which make diff N=2 shows"});
    CHECK(check_stage_coverage(fixture_root(), "slides/03-nowhere.md") ==
          std::vector<std::string>{"slides/03-nowhere.md: no stage folder stages/03-nowhere (a "
                                   "stage deck is named after its stage folder)"});
    CHECK(check_stage_coverage(fixture_root(), "slides/00-map.md").empty());
}
