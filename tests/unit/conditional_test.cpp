// Conditional and range requests (stage 4): RFC 9110 sections 13 and 14.
#include <doctest/doctest.h>

#include "conditional.hpp"
#include "http_date.hpp"

namespace {

constexpr std::uint64_t kSize = 10000;
const std::string kEtag = "\"2710-42\"";
const std::string kModified = "Sun, 06 Nov 1994 08:49:37 GMT";

// The 200 a file server would answer, before the conditions: a file body
// (no descriptor needed here: nothing is sent) and its validators.
HttpResponse full_answer() {
    HttpResponse response;
    response.headers.add("Content-Type", "text/plain; charset=utf-8");
    response.headers.add("ETag", kEtag);
    response.headers.add("Last-Modified", kModified);
    response.headers.add("Cache-Control", "no-cache");
    response.file = FileBody{nullptr, 0, kSize};
    return response;
}

HttpResponse answer(std::vector<std::pair<std::string, std::string>> fields, std::string method = "GET") {
    HttpRequest request;
    request.method = std::move(method);
    for (auto& [name, value] : fields) request.headers.add(name, value);
    return answer_conditionally(request, full_answer());
}

}  // namespace

TEST_CASE("parse_range: the examples of RFC 9110 section 14.1.2, in a 10000-byte file") {
    CHECK(parse_range("bytes=0-499", kSize)->first == 0);
    CHECK(parse_range("bytes=0-499", kSize)->length == 500);
    CHECK(parse_range("bytes=500-999", kSize)->first == 500);
    CHECK(parse_range("bytes=500-999", kSize)->length == 500);
    CHECK(parse_range("bytes=-500", kSize)->first == 9500);
    CHECK(parse_range("bytes=-500", kSize)->length == 500);
    CHECK(parse_range("bytes=9500-", kSize)->first == 9500);
    CHECK(parse_range("bytes=9500-", kSize)->length == 500);
    CHECK(parse_range("bytes=0-0", kSize)->length == 1);
    CHECK(parse_range("bytes=-1", kSize)->first == 9999);
}

TEST_CASE("parse_range: a range past the end is cut at the end; none starting past it fits") {
    CHECK(parse_range("bytes=9000-20000", kSize)->length == 1000);
    CHECK(parse_range("bytes=-20000", kSize)->first == 0);
    CHECK(parse_range("bytes=-20000", kSize)->length == kSize);
    CHECK(parse_range("bytes=10000-", kSize)->length == 0);  // 416
    CHECK(parse_range("bytes=10000-10005", kSize)->length == 0);
    CHECK(parse_range("bytes=-0", kSize)->length == 0);
    CHECK(parse_range("bytes=0-", 0)->length == 0);  // an empty file has no byte 0
}

TEST_CASE("parse_range: what cannot be read, or is not one byte range, is ignored") {
    for (const char* field : {"", "bytes", "bytes=", "bytes=-", "bytes=a-b", "bytes=5-1", "bytes=1-2-3",
                              "bytes=0-1,5-9", "bytes=0-0,-1", "items=0-5", "bytes = 0-5x",
                              "bytes=99999999999999999999-", "bytes=+1-2", "bytes=0x10-20"}) {
        INFO(field);
        CHECK_FALSE(parse_range(field, kSize).has_value());
    }
    CHECK(parse_range("Bytes=0-1", kSize).has_value());  // the unit is case-insensitive
}

TEST_CASE("no condition: the full answer") {
    const HttpResponse response = answer({});
    CHECK(response.status == 200);
    CHECK(response.file->length == kSize);
}

TEST_CASE("If-None-Match: 304 when it names the ETag, with validators and no content") {
    for (const std::string& list : {kEtag, "\"other\", " + kEtag, "W/" + kEtag, std::string("*")}) {
        INFO(list);
        const HttpResponse response = answer({{"If-None-Match", list}});
        CHECK(response.status == 304);
        CHECK_FALSE(response.file.has_value());
        CHECK(response.headers.get("ETag") == kEtag);
        CHECK(response.headers.get("Cache-Control") == "no-cache");
        CHECK_FALSE(response.headers.has("Content-Type"));
    }
    CHECK(answer({{"If-None-Match", "\"other\""}}).status == 200);
    CHECK(answer({{"If-None-Match", "\"other\""}, {"If-None-Match", kEtag}}).status == 304);
}

TEST_CASE("If-Modified-Since: 304 unless changed since, and only without If-None-Match") {
    CHECK(answer({{"If-Modified-Since", kModified}}).status == 304);
    CHECK(answer({{"If-Modified-Since", "Mon, 07 Nov 1994 08:49:37 GMT"}}).status == 304);
    CHECK(answer({{"If-Modified-Since", "Sat, 05 Nov 1994 08:49:37 GMT"}}).status == 200);
    CHECK(answer({{"If-Modified-Since", "not a date"}}).status == 200);
    // If-None-Match decides alone when it is there (RFC 9110 section 13.1.3).
    CHECK(answer({{"If-None-Match", "\"other\""}, {"If-Modified-Since", kModified}}).status == 200);
}

TEST_CASE("If-Match and If-Unmodified-Since: 412 when the file is not the one named") {
    CHECK(answer({{"If-Match", kEtag}}).status == 200);
    CHECK(answer({{"If-Match", "*"}}).status == 200);
    CHECK(answer({{"If-Match", "\"a\", " + kEtag}}).status == 200);
    CHECK(answer({{"If-Match", "\"other\""}}).status == 412);
    CHECK(answer({{"If-Match", "W/" + kEtag}}).status == 412);  // strong comparison
    CHECK(answer({{"If-Unmodified-Since", kModified}}).status == 200);
    CHECK(answer({{"If-Unmodified-Since", "Sat, 05 Nov 1994 08:49:37 GMT"}}).status == 412);
    CHECK(answer({{"If-Unmodified-Since", "garbage"}}).status == 200);
    // If-Match decides alone when it is there (RFC 9110 section 13.1.4).
    CHECK(answer({{"If-Match", kEtag}, {"If-Unmodified-Since", "Sat, 05 Nov 1994 08:49:37 GMT"}}).status == 200);
    // 412 comes before 304 (RFC 9110 section 13.2.2).
    CHECK(answer({{"If-Match", "\"other\""}, {"If-None-Match", kEtag}}).status == 412);
    const HttpResponse failed = answer({{"If-Match", "\"other\""}});
    CHECK(failed.body.find("412") != std::string::npos);
}

TEST_CASE("Range: 206 with Content-Range and the part of the file, 416 past the end") {
    const HttpResponse part = answer({{"Range", "bytes=100-199"}});
    CHECK(part.status == 206);
    CHECK(part.headers.get("Content-Range") == "bytes 100-199/10000");
    CHECK(part.file->offset == 100);
    CHECK(part.file->length == 100);

    const HttpResponse past = answer({{"Range", "bytes=20000-"}});
    CHECK(past.status == 416);
    CHECK(past.headers.get("Content-Range") == "bytes */10000");
    CHECK_FALSE(past.file.has_value());

    CHECK(answer({{"Range", "bytes=0-1,5-9"}}).status == 200);  // several: the whole file
    CHECK(answer({{"Range", "lines=1-2"}}).status == 200);
    CHECK(answer({{"Range", "bytes=0-1"}}, "HEAD").status == 200);  // ranges are for GET
    // A 304 wins over the range.
    CHECK(answer({{"Range", "bytes=0-1"}, {"If-None-Match", kEtag}}).status == 304);
}

TEST_CASE("If-Range: the part if the file is the same, else all of it") {
    CHECK(answer({{"Range", "bytes=0-9"}, {"If-Range", kEtag}}).status == 206);
    CHECK(answer({{"Range", "bytes=0-9"}, {"If-Range", "\"older\""}}).status == 200);
    CHECK(answer({{"Range", "bytes=0-9"}, {"If-Range", "W/" + kEtag}}).status == 200);  // strong only
    CHECK(answer({{"Range", "bytes=0-9"}, {"If-Range", kModified}}).status == 206);
    CHECK(answer({{"Range", "bytes=0-9"}, {"If-Range", "Sat, 05 Nov 1994 08:49:37 GMT"}}).status == 200);
    CHECK(answer({{"Range", "bytes=0-9"}, {"If-Range", "nonsense"}}).status == 200);
    CHECK(answer({{"If-Range", kEtag}}).status == 200);  // without Range it means nothing
}
