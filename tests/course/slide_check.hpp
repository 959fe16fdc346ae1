// The slide checker: the decks in slides/ must only name code that exists.
//
// A deck pulls its code from the sources with mdBook-style references inside
// fenced code blocks (slides/preprocess.js expands them for `make slides`):
//
//     {{#include stages/02-parsing/request_parser.cpp:feed}}
//     {{#include PATH:REGION from="TEXT" to="TEXT"}}
//     {{#diff stages/01-echo/main.cpp stages/02-parsing/main.cpp:accept_loop}}
//
// These functions find the references that would break the slides: a file
// or region that does not exist, an excerpt whose text is gone, a code block
// grown too long to fit, a picture that is missing or would be fetched from
// the network. They mirror preprocess.js and print the same messages, so
// that `make test` catches a broken deck without Node.js installed, the way
// Crafting Interpreters fails its build on a snippet with an unknown tag.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace course {

// The decks of a repository: slides/NN-name.md, sorted, as paths relative
// to `root` ("slides/01-echo.md").
std::vector<std::string> deck_files(const std::filesystem::path& root);

// Every problem in one deck, as "slides/02-parsing.md:41: no region 'x' in
// stages/02-parsing/main.cpp". `deck` and every path the deck names are
// relative to `root`. Empty when the deck is fine.
std::vector<std::string> check_deck(const std::filesystem::path& root, const std::string& deck);

// The stage folders of a repository: stages/NN-name, sorted.
std::vector<std::string> stage_dirs(const std::filesystem::path& root);

// The source files (.cpp, .hpp, .h) that `make diff` shows for a stage:
// those that differ, by content, between the stage and the one before it
// (added, removed or changed), as paths inside the stage folder
// ("request_parser.cpp"). For the first stage: all of its sources.
std::vector<std::string> files_changed_by_stage(const std::filesystem::path& root,
                                                const std::string& stage_dir);

// For a stage deck slides/NN-name.md: the problems with its stage, i.e. a
// missing stages/NN-name folder, or a source file of files_changed_by_stage
// that the deck never names (neither includes it nor mentions it in text).
// Empty for a deck that is not about a stage (00-course.md).
std::vector<std::string> check_stage_coverage(const std::filesystem::path& root,
                                              const std::string& deck);

// The repository root: the nearest folder at or above the current one that
// holds both slides/ and stages/.
std::filesystem::path find_repository_root();

}  // namespace course
