#include "conditional.hpp"

#include <algorithm>

#include "http_date.hpp"

namespace {

// Whether an If-Match or If-None-Match list names `etag`, ours and always
// strong; "*" names any (RFC 9110 section 13.1.1). If-None-Match compares
// weakly, ignoring "W/"; for If-Match a weak tag matches nothing (8.8.3.2).
bool list_names(const Headers& headers, std::string_view field, std::string_view etag, bool weak) {
    for (std::string_view list : headers.all(field)) {
        for (std::string_view tag : split(list, ',')) {
            tag = trim_ows(tag);
            if (weak && tag.starts_with("W/")) tag.remove_prefix(2);
            if (tag == "*" || tag == etag) return true;
        }
    }
    return false;
}

// A 304 carries the validators and caching fields a 200 would have had,
// but no content (section 15.4.5).
HttpResponse not_modified(const HttpResponse& full) {
    HttpResponse response;
    response.status = 304;
    for (std::string_view name : {"ETag", "Last-Modified", "Cache-Control", "Vary"}) {
        if (full.headers.has(name)) response.headers.add(std::string(name), std::string(full.headers.get(name)));
    }
    return response;
}

HttpResponse apply_range(const HttpRequest& request, HttpResponse full, std::optional<std::time_t> modified) {
    // Ranges are defined for GET only (section 14.2): HEAD gets all headers.
    if (request.method != "GET" || !full.file) return full;
    const std::optional<ByteRange> range = parse_range(request.headers.get("Range"), full.file->length);
    if (!range) return full;
    // If-Range: "the part if the file is still the one I have the rest of,
    // else all of it": the ETag, strongly, or Last-Modified (13.1.5).
    const std::string_view validator = request.headers.get("If-Range");
    const bool same = validator.starts_with('"') || validator.starts_with("W/")
                          ? validator == full.headers.get("ETag")
                          : validator.empty() || (modified && parse_http_date(validator) == modified);
    if (!same) return full;
    const std::string size = std::to_string(full.file->length);
    if (range->length == 0) {
        HttpResponse response = HttpResponse::error(416, "the file has only " + size + " bytes");
        response.headers.add("Content-Range", "bytes */" + size);
        return response;
    }
    full.status = 206;
    full.headers.add("Content-Range", "bytes " + std::to_string(range->first) + "-" +
                                          std::to_string(range->first + range->length - 1) + "/" + size);
    full.file->offset += range->first;
    full.file->length = range->length;
    return full;
}

}  // namespace

// The order of RFC 9110 section 13.2.2.
HttpResponse answer_conditionally(const HttpRequest& request, HttpResponse full) {
    const Headers& asked = request.headers;
    const std::string etag(full.headers.get("ETag"));
    const std::optional<std::time_t> modified = parse_http_date(full.headers.get("Last-Modified"));
    // An absent or unreadable date is no condition (sections 13.1.3, 13.1.4).
    const auto unmodified_since = parse_http_date(asked.get("If-Unmodified-Since"));
    const auto modified_since = parse_http_date(asked.get("If-Modified-Since"));
    // 1, 2: "only if the file is still the one I name", or it is a 412.
    if (asked.has("If-Match")) {
        if (!list_names(asked, "If-Match", etag, /*weak=*/false)) {
            return HttpResponse::error(412, "the file is not the version named in If-Match");
        }
    } else if (unmodified_since && modified && *modified > *unmodified_since) {
        return HttpResponse::error(412, "the file has changed since If-Unmodified-Since");
    }
    // 3, 4: "only if it differs from the copy I have", or it is a 304.
    if (asked.has("If-None-Match")) {
        if (list_names(asked, "If-None-Match", etag, /*weak=*/true)) return not_modified(full);
    } else if (modified_since && modified && *modified <= *modified_since) {
        return not_modified(full);
    }
    // 5: Range, and If-Range with it.
    return apply_range(request, std::move(full), modified);
}

std::optional<ByteRange> parse_range(std::string_view field, std::uint64_t size) {
    const std::size_t equals = field.find('=');
    if (equals == std::string_view::npos || !iequals(field.substr(0, equals), "bytes")) return std::nullopt;
    const std::string_view spec = trim_ows(field.substr(equals + 1));
    // Several ranges ("0-9,20-29") are ignored, as section 14.2 allows: the
    // whole file goes, and no overlapping list multiplies the work.
    const std::size_t dash = spec.find('-');
    if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) return std::nullopt;
    const std::optional<std::uint64_t> first = parse_decimal(spec.substr(0, dash));
    const std::optional<std::uint64_t> last = parse_decimal(spec.substr(dash + 1));
    if (dash == 0) {  // "-500": the last 500 bytes, or all when fewer
        if (!last) return std::nullopt;
        return ByteRange{size - std::min(*last, size), std::min(*last, size)};
    }
    if (!first || (!last && dash + 1 < spec.size()) || (last && *last < *first)) return std::nullopt;
    if (*first >= size) return ByteRange{};  // starts past the end: 416
    return ByteRange{*first, std::min(last.value_or(size - 1), size - 1) - *first + 1};
}
