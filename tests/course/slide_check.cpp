#include "slide_check.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace fs = std::filesystem;

namespace course {
namespace {

// How much code fits on a slide of the course theme (slides/theme.css), in
// rows: a line of code takes one row, or more when it is too long for the
// slide and wraps (the theme wraps long lines rather than shrink the code
// below 20px). Between the heading and the control bar of the HTML viewer
// there is room for 19 rows of code, or 21 on a slide of class "dense"
// (a smaller heading), counting every code block of the slide. Text on the
// slide takes room too: `make slides-check` measures the rendered slides.
constexpr std::size_t kMaxCodeRows = 19;
constexpr std::size_t kMaxDenseCodeRows = 21;
// How many characters of 20px DejaVu Sans Mono a row holds: across the
// slide, or in the left and right column of a slide of class "columns".
// Lines wrap between words, so a little less than the width allows.
constexpr std::size_t kRowColumns = 92;
constexpr std::size_t kLeftColumnColumns = 44;
constexpr std::size_t kRightColumnColumns = 41;
// A wrapped line goes on indented by its own indentation (at most
// kMaxWrapIndent) plus two, as slides/engine.js sets it.
constexpr std::size_t kWrapIndent = 2;
constexpr std::size_t kMaxWrapIndent = 24;

// A reference that cannot be expanded; the message says why.
class BadReference : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

std::optional<std::string> read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in || fs::is_directory(file)) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Lines without their '\n'; a final newline does not start another line.
std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        if (end == std::string::npos) {
            lines.push_back(text.substr(start));
            break;
        }
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

std::string trim(const std::string& text) {
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string::npos) return "";
    const auto last = text.find_last_not_of(" \t\r");
    return text.substr(first, last - first + 1);
}

// The small grammars below are parsed by hand rather than with <regex>:
// std::regex is slow to compile, and g++ 12 warns inside it under the
// sanitizers, which -Werror turns into a failed build.

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_word(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}
// Word characters and '-': what a region name or an option name is made of.
std::size_t name_length(std::string_view text, std::size_t at, bool dash) {
    std::size_t n = 0;
    while (at + n < text.size() && (is_word(text[at + n]) || (dash && text[at + n] == '-'))) ++n;
    return n;
}

// What a reference names: "PATH[:REGION] [from="TEXT"] [to="TEXT"]".
struct Spec {
    std::string path;
    std::optional<std::string> region;
    std::optional<std::string> from;
    std::optional<std::string> to;
};

Spec parse_spec(const std::string& text) {
    const auto unreadable = [&] { return BadReference("cannot read the reference '" + text + "'"); };
    Spec spec;
    std::size_t at = 0;
    while (at < text.size() && !is_space(text[at]) && text[at] != ':') ++at;
    if (at == 0) throw unreadable();
    spec.path = text.substr(0, at);
    if (at < text.size() && text[at] == ':') {
        const std::size_t n = name_length(text, at + 1, /*dash=*/true);
        if (n == 0) throw unreadable();
        spec.region = text.substr(at + 1, n);
        at += 1 + n;
    }
    // Options: each one is whitespace, then name="value".
    while (at < text.size()) {
        const std::size_t start = at;
        while (at < text.size() && is_space(text[at])) ++at;
        const std::size_t n = name_length(text, at, /*dash=*/false);
        if (at == start || n == 0 || text.compare(at + n, 2, "=\"") != 0) throw unreadable();
        const std::string key = text.substr(at, n);
        const std::size_t close = text.find('"', at + n + 2);
        if (close == std::string::npos) throw unreadable();
        const std::string value = text.substr(at + n + 2, close - (at + n + 2));
        at = close + 1;
        if (key != "from" && key != "to") {
            throw BadReference("unknown option '" + key + "' (from= and to= exist)");
        }
        if (value.empty()) throw BadReference(key + "=\"\" matches every line; give some text");
        (key == "from" ? spec.from : spec.to) = value;
    }
    return spec;
}

// "ANCHOR: name" or "ANCHOR_END: name" anywhere on the line (mdBook's markers).
struct Anchor {
    bool end = false;
    std::string name;
};
std::optional<Anchor> anchor_in(const std::string& line) {
    for (std::size_t at = line.find("ANCHOR"); at != std::string::npos;
         at = line.find("ANCHOR", at + 1)) {
        if (at > 0 && is_word(line[at - 1])) continue;  // "XANCHOR" is not a marker
        std::size_t i = at + 6;
        const bool end = line.compare(i, 4, "_END") == 0;
        if (end) i += 4;
        if (i >= line.size() || line[i] != ':') continue;
        ++i;
        while (i < line.size() && is_space(line[i])) ++i;
        const std::size_t n = name_length(line, i, /*dash=*/true);
        if (n > 0) return Anchor{end, line.substr(i, n)};
    }
    return std::nullopt;
}

// The lines a spec names, ANCHOR lines removed (as preprocess.js extract()).
std::vector<std::string> extract(const fs::path& root, const Spec& spec) {
    const fs::path relative(spec.path);
    if (relative.is_absolute() ||
        std::any_of(relative.begin(), relative.end(), [](const fs::path& p) { return p == ".."; })) {
        throw BadReference("'" + spec.path + "' must be a path inside the repository");
    }
    const auto text = read_file(root / relative);
    if (!text) throw BadReference("no file " + spec.path);
    std::vector<std::string> lines = split_lines(*text);

    if (spec.region) {
        auto is_marker = [&](const std::string& line, bool end) {
            const auto anchor = anchor_in(line);
            return anchor && anchor->name == *spec.region && anchor->end == end;
        };
        const auto start = std::find_if(lines.begin(), lines.end(),
                                        [&](const std::string& l) { return is_marker(l, false); });
        if (start == lines.end()) {
            throw BadReference("no region '" + *spec.region + "' in " + spec.path);
        }
        const auto stop = std::find_if(start + 1, lines.end(),
                                       [&](const std::string& l) { return is_marker(l, true); });
        if (stop == lines.end()) {
            throw BadReference("region '" + *spec.region + "' in " + spec.path + " has no ANCHOR_END");
        }
        lines = std::vector<std::string>(start + 1, stop);
    }
    std::erase_if(lines, [](const std::string& line) { return anchor_in(line).has_value(); });

    const std::string where =
        spec.region ? "region '" + *spec.region + "' of " + spec.path : spec.path;
    auto first = lines.begin();
    if (spec.from) {
        first = std::find_if(lines.begin(), lines.end(), [&](const std::string& l) {
            return l.find(*spec.from) != std::string::npos;
        });
        if (first == lines.end()) throw BadReference("no line with \"" + *spec.from + "\" in " + where);
    }
    auto last = lines.end();
    if (spec.to) {
        last = std::find_if(first, lines.end(), [&](const std::string& l) {
            return l.find(*spec.to) != std::string::npos;
        });
        if (last == lines.end()) {
            throw BadReference("no line with \"" + *spec.to + "\" in " + where +
                               (spec.from ? " after \"" + *spec.from + "\"" : ""));
        }
        ++last;
    }
    return std::vector<std::string>(first, last);
}

// Removes the indentation that all non-blank lines share (preprocess.js
// dedent()).
std::vector<std::string> dedent(std::vector<std::string> lines) {
    std::size_t common = std::numeric_limits<std::size_t>::max();
    for (const std::string& line : lines) {
        if (trim(line).empty()) continue;
        common = std::min(common, line.find_first_not_of(" \t"));
    }
    if (common == std::numeric_limits<std::size_t>::max()) return lines;
    for (std::string& line : lines) line.erase(0, std::min(common, line.size()));
    return lines;
}

// The lines the diff of `a` and `b` shows, each with its mark (' ', '-',
// '+'), as preprocess.js diffLines() and hunks(): every line for regions,
// three lines of context for files, "@@ ... @@" for what is left out.
std::vector<std::string> diff_lines(const std::vector<std::string>& a,
                                    const std::vector<std::string>& b, bool whole_files) {
    const std::size_t n = a.size();
    const std::size_t m = b.size();
    std::vector<std::vector<std::uint32_t>> lcs(n + 1, std::vector<std::uint32_t>(m + 1, 0));
    for (std::size_t i = n; i-- > 0;) {
        for (std::size_t j = m; j-- > 0;) {
            lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
        }
    }
    std::vector<std::string> diff;
    for (std::size_t i = 0, j = 0; i < n || j < m;) {
        if (i < n && j < m && a[i] == b[j]) {
            diff.push_back(" " + a[i]);
            ++i, ++j;
        } else if (j < m && (i == n || lcs[i][j + 1] > lcs[i + 1][j])) {
            diff.push_back("+" + b[j++]);
        } else {
            diff.push_back("-" + a[i++]);
        }
    }
    if (!whole_files) return diff;
    constexpr std::ptrdiff_t context = 3;
    const auto size = static_cast<std::ptrdiff_t>(diff.size());
    auto changed = [&](std::ptrdiff_t k) { return diff[static_cast<std::size_t>(k)][0] != ' '; };
    std::vector<std::string> shown;
    bool kept_previous = true;
    for (std::ptrdiff_t k = 0; k < size; ++k) {
        bool keep = false;
        for (std::ptrdiff_t d = -context; d <= context; ++d) {
            keep = keep || (k + d >= 0 && k + d < size && changed(k + d));
        }
        if (keep) shown.push_back(diff[static_cast<std::size_t>(k)]);
        else if (k == 0 || kept_previous) shown.push_back("@@ ... @@");
        kept_previous = keep;
    }
    return shown;
}

// The lines a reference line becomes; throws BadReference.
std::vector<std::string> expand(const fs::path& root, const std::string& kind,
                                const std::string& args) {
    if (kind == "include") return dedent(extract(root, parse_spec(args)));
    if (kind == "diff") {
        std::istringstream words(args);
        std::vector<std::string> parts;
        for (std::string word; words >> word;) parts.push_back(word);
        if (parts.size() != 2) {
            throw BadReference("#diff takes two paths: {{#diff OLD[:REGION] NEW[:REGION]}}");
        }
        Spec old_spec = parse_spec(parts[0]);
        Spec new_spec = parse_spec(parts[1]);
        if (old_spec.from || old_spec.to || new_spec.from || new_spec.to) {
            throw BadReference("#diff takes no from=/to=");
        }
        if (!old_spec.region) old_spec.region = new_spec.region;
        if (!new_spec.region) new_spec.region = old_spec.region;
        const std::vector<std::string> a = extract(root, old_spec);
        std::vector<std::string> both = a;
        const std::vector<std::string> b = extract(root, new_spec);
        both.insert(both.end(), b.begin(), b.end());
        // Dedented together, so that unchanged lines stay unchanged.
        both = dedent(std::move(both));
        const auto middle = both.begin() + static_cast<std::ptrdiff_t>(a.size());
        return diff_lines({both.begin(), middle}, {middle, both.end()}, !old_spec.region);
    }
    throw BadReference("unknown reference {{#" + kind + "}} ({{#include}} and {{#diff}} exist)");
}

// How many characters a line of code takes on screen: UTF-8 continuation
// bytes take none, a tab four.
std::size_t display_width(const std::string& line) {
    std::size_t width = 0;
    for (const char c : line) {
        if (c == '\t') width += 4;
        else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
    }
    return width;
}

// The rows a line of code takes in rows of `columns` characters: the rest
// of a wrapped line goes on indented (the theme's hanging indent). In a
// diff, the indentation is counted after the +/- mark.
std::size_t rows_of(const std::string& line, std::size_t columns, bool diff) {
    const std::size_t width = display_width(line);
    if (width <= columns) return 1;
    const std::size_t mark = diff && !line.empty() ? 1 : 0;
    const std::size_t spaces = std::min(line.find_first_not_of(' ', mark), line.size()) - mark;
    const std::size_t indent = std::min(spaces, kMaxWrapIndent) + mark + kWrapIndent;
    const std::size_t per_row = columns > indent + 1 ? columns - indent : 1;
    return 1 + (width - columns + per_row - 1) / per_row;
}

// A picture a deck shows: it must be in the repository, and nothing in it
// may be fetched when the slides are shown (a classroom may be offline).
std::optional<std::string> check_picture(const fs::path& root, const std::string& deck,
                                         const std::string& target) {
    if (target.starts_with("data:")) return std::nullopt;
    if (target.find("://") != std::string::npos || target.starts_with("//")) {
        return "picture " + target + " would be fetched from the network; keep it in slides/diagrams/";
    }
    const fs::path file = root / fs::path(deck).parent_path() / target;
    const auto content = read_file(file);
    if (!content) return "no picture " + (fs::path(deck).parent_path() / target).generic_string();
    if (file.extension() == ".svg") {
        for (const char* remote : {"href=\"http", "href='http", "url(http", "@import"}) {
            if (content->find(remote) != std::string::npos) {
                return "picture " + target + " loads something from the network (" + remote + ")";
            }
        }
    }
    return std::nullopt;
}

// "{{#KIND ARGS}}" alone on a line: {KIND, ARGS}; nothing for other lines.
std::optional<std::pair<std::string, std::string>> reference_in(const std::string& line) {
    const std::string text = trim(line);
    if (!text.starts_with("{{#") || !text.ends_with("}}") || text.size() < 5) return std::nullopt;
    const std::string inside = text.substr(3, text.size() - 5);
    const std::size_t n = name_length(inside, 0, /*dash=*/false);
    if (n == 0 || n >= inside.size() || !is_space(inside[n])) return std::nullopt;
    return std::pair{inside.substr(0, n), trim(inside.substr(n))};
}

// The run of three or more ` or ~ that opens or closes a code block (after
// at most three spaces), or "".
std::string fence_in(const std::string& line) {
    std::size_t at = 0;
    while (at < line.size() && at < 3 && line[at] == ' ') ++at;
    if (at >= line.size() || (line[at] != '`' && line[at] != '~')) return "";
    std::size_t n = 0;
    while (at + n < line.size() && line[at + n] == line[at]) ++n;
    return n >= 3 ? line.substr(at, n) : "";
}

// "\{{#include ...}}": a reference shown as text, not expanded.
bool is_escaped_reference(const std::string& line) { return trim(line).starts_with("\\{{#"); }

// A "{{#" that no backslash escapes.
bool has_unescaped_reference(const std::string& line) {
    for (std::size_t at = line.find("{{#"); at != std::string::npos; at = line.find("{{#", at + 1)) {
        if (at == 0 || line[at - 1] != '\\') return true;
    }
    return false;
}

// The targets of the Markdown pictures on a line: ![alt](TARGET ...).
std::vector<std::string> pictures_in(const std::string& line) {
    std::vector<std::string> targets;
    for (std::size_t at = line.find("!["); at != std::string::npos; at = line.find("![", at + 1)) {
        const std::size_t close = line.find(']', at + 2);
        if (close == std::string::npos || close + 1 >= line.size() || line[close + 1] != '(') continue;
        std::size_t end = close + 2;
        while (end < line.size() && line[end] != ')' && !is_space(line[end])) ++end;
        if (end > close + 2) targets.push_back(line.substr(close + 2, end - close - 2));
    }
    return targets;
}

bool is_source_file(const fs::path& file) {
    const std::string ext = file.extension().string();
    return ext == ".cpp" || ext == ".hpp" || ext == ".h" || ext == ".cc";
}

// Source files under `dir`, by path inside it, with their contents.
std::map<std::string, std::string> sources_in(const fs::path& dir) {
    std::map<std::string, std::string> found;
    if (!fs::is_directory(dir)) return found;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (entry.is_regular_file() && is_source_file(entry.path())) {
            found[fs::relative(entry.path(), dir).generic_string()] = read_file(entry.path()).value_or("");
        }
    }
    return found;
}

bool is_stage_name(const std::string& name) {
    return name.size() > 3 && std::isdigit(static_cast<unsigned char>(name[0])) &&
           std::isdigit(static_cast<unsigned char>(name[1])) && name[2] == '-';
}

}  // namespace

std::vector<std::string> deck_files(const fs::path& root) {
    std::vector<std::string> decks;
    if (!fs::is_directory(root / "slides")) return decks;
    for (const auto& entry : fs::directory_iterator(root / "slides")) {
        const std::string name = entry.path().filename().string();
        if (entry.is_regular_file() && is_stage_name(name) && name.ends_with(".md")) {
            decks.push_back("slides/" + name);
        }
    }
    std::sort(decks.begin(), decks.end());
    return decks;
}

std::vector<std::string> check_deck(const fs::path& root, const std::string& deck) {
    const auto text = read_file(root / deck);
    if (!text) return {deck + ": cannot read the deck"};
    const std::vector<std::string> lines = split_lines(*text);

    std::vector<std::string> errors;
    auto at = [&](std::size_t index) { return deck + ":" + std::to_string(index + 1) + ": "; };

    // Code blocks are judged at the end of their slide, once its class is known.
    struct Block {
        std::size_t line;                // where it starts in the deck
        bool diff = false;               // a ```diff block
        std::vector<std::string> lines;  // as shown, references expanded
    };
    std::vector<Block> blocks;
    std::string slide_class;
    auto end_slide = [&] {
        const bool dense = slide_class == "dense";
        const bool columns = slide_class == "columns";
        const std::size_t limit = dense ? kMaxDenseCodeRows : kMaxCodeRows;
        // On a slide of class columns the first two blocks sit side by side.
        std::size_t rows = 0;
        std::size_t side_by_side = 0;
        for (std::size_t k = 0; k < blocks.size(); ++k) {
            const std::size_t width = columns && k == 0   ? kLeftColumnColumns
                                      : columns && k == 1 ? kRightColumnColumns
                                                          : kRowColumns;
            std::size_t block_rows = 0;
            for (const std::string& line : blocks[k].lines) {
                block_rows += rows_of(line, width, blocks[k].diff);
            }
            if (columns && k < 2) {
                side_by_side = std::max(side_by_side, block_rows);
            } else {
                rows += block_rows;
            }
        }
        rows += side_by_side;
        if (rows > limit) {
            errors.push_back(at(blocks.front().line) + "the code of this slide takes " +
                             std::to_string(rows) + " rows, long lines wrapped; " +
                             std::to_string(kMaxCodeRows) + " fit on a slide, " +
                             std::to_string(kMaxDenseCodeRows) +
                             " on a slide of class dense: show an excerpt with from=/to=");
        }
        blocks.clear();
        slide_class.clear();
    };

    std::string fence;  // the run of ` or ~ that opened the current code block
    Block block;
    bool front_matter = !lines.empty() && trim(lines[0]) == "---";
    for (std::size_t i = front_matter ? 1 : 0; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        if (front_matter) {
            if (trim(line) == "---") front_matter = false;
            continue;
        }
        const std::string run = fence_in(line);
        if (fence.empty()) {
            if (!run.empty()) {
                fence = run;
                block = Block{i, trim(line).substr(run.size()).starts_with("diff"), {}};
                continue;
            }
            if (trim(line) == "---") {
                end_slide();
                continue;
            }
            if (has_unescaped_reference(line)) {
                errors.push_back(at(i) + "a reference outside a code block is not expanded");
            }
            if (const auto at_class = line.find("_class:"); at_class != std::string::npos) {
                for (const char* name : {"dense", "columns"}) {
                    if (line.find(name, at_class) != std::string::npos) slide_class = name;
                }
            }
            for (const std::string& target : pictures_in(line)) {
                if (auto problem = check_picture(root, deck, target)) errors.push_back(at(i) + *problem);
            }
            continue;
        }
        if (!run.empty() && run[0] == fence[0] && run.size() >= fence.size() && trim(line) == run) {
            blocks.push_back(std::move(block));
            fence.clear();
            continue;
        }
        if (is_escaped_reference(line)) {
            block.lines.push_back(line.substr(line.find('\\') + 1));
            continue;
        }
        if (const auto reference = reference_in(line)) {
            try {
                const std::vector<std::string> shown = expand(root, reference->first, reference->second);
                block.lines.insert(block.lines.end(), shown.begin(), shown.end());
            } catch (const BadReference& error) {
                errors.push_back(at(i) + error.what());
            }
            continue;
        }
        block.lines.push_back(line);
    }
    if (!fence.empty()) errors.push_back(deck + ": a code block is never closed");
    end_slide();
    return errors;
}

std::vector<std::string> stage_dirs(const fs::path& root) {
    std::vector<std::string> dirs;
    if (!fs::is_directory(root / "stages")) return dirs;
    for (const auto& entry : fs::directory_iterator(root / "stages")) {
        const std::string name = entry.path().filename().string();
        if (entry.is_directory() && is_stage_name(name)) dirs.push_back("stages/" + name);
    }
    std::sort(dirs.begin(), dirs.end());
    return dirs;
}

std::vector<std::string> files_changed_by_stage(const fs::path& root, const std::string& stage_dir) {
    const std::vector<std::string> dirs = stage_dirs(root);
    const auto here = std::find(dirs.begin(), dirs.end(), stage_dir);
    const auto now = sources_in(root / stage_dir);
    const auto before =
        (here == dirs.end() || here == dirs.begin()) ? std::map<std::string, std::string>{}
                                                     : sources_in(root / *(here - 1));
    std::vector<std::string> changed;
    for (const auto& [file, content] : now) {
        const auto old = before.find(file);
        if (old == before.end() || old->second != content) changed.push_back(file);
    }
    for (const auto& [file, content] : before) {
        if (!now.contains(file)) changed.push_back(file);
    }
    std::sort(changed.begin(), changed.end());
    return changed;
}

std::vector<std::string> check_stage_coverage(const fs::path& root, const std::string& deck) {
    const std::string name = fs::path(deck).stem().string();  // "02-parsing"
    if (name.starts_with("00-")) return {};
    const std::string stage_dir = "stages/" + name;
    const std::vector<std::string> dirs = stage_dirs(root);
    if (std::find(dirs.begin(), dirs.end(), stage_dir) == dirs.end()) {
        return {deck + ": no stage folder " + stage_dir +
                " (a stage deck is named after its stage folder)"};
    }
    const std::string text = read_file(root / deck).value_or("");
    const bool first = dirs.front() == stage_dir;
    const std::string number = std::to_string(std::stoi(name.substr(0, 2)));
    std::vector<std::string> errors;
    for (const std::string& file : files_changed_by_stage(root, stage_dir)) {
        if (text.find(file) == std::string::npos) {
            errors.push_back(deck + ": never names " + file + ", which " +
                             (first ? "stage " + number + " is made of"
                                    : "make diff N=" + number + " shows"));
        }
    }
    return errors;
}

fs::path find_repository_root() {
    for (fs::path dir = fs::current_path();; dir = dir.parent_path()) {
        if (fs::is_directory(dir / "slides") && fs::is_directory(dir / "stages")) return dir;
        if (dir == dir.parent_path()) return fs::current_path();
    }
}

}  // namespace course
