#include "request_parser.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace {

// tchar from RFC 9110 section 5.6.2: the characters of a method or a field name.
bool is_token_char(char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// How long the token at the start of `text` is; 0 if there is none.
std::size_t token_length(std::string_view text) {
    return std::find_if_not(text.begin(), text.end(), is_token_char) - text.begin();
}

bool is_token(std::string_view text) { return !text.empty() && token_length(text) == text.size(); }

// A field value may hold visible ASCII, SP, HTAB and bytes >= 0x80
// (obs-text), but no other control characters (RFC 9110 section 5.5).
bool is_field_value(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
    });
}

// How long the quoted-string that `text` starts with is; 0 if it never ends.
// quoted-string = DQUOTE *( qdtext / "\" char ) DQUOTE (RFC 9110 section 5.6.4)
std::size_t quoted_string_length(std::string_view text) {
    for (std::size_t i = 1; i < text.size(); ++i) {
        if (text[i] == '"') return i + 1;
        if (text[i] == '\\') ++i;  // a quoted-pair: the next character stands for itself
        if (i == text.size() || !is_field_value(text.substr(i, 1))) return 0;
    }
    return 0;
}

// chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ), a name a token, a value a
// token or a quoted-string, BWS optional whitespace (RFC 9112 section 7.1.1). Ignored,
// but only when well-formed: junk that a proxy reads its own way is a smuggling risk.
bool is_chunk_ext(std::string_view text) {
    while (!text.empty()) {
        text = trim_leading_ows(text);
        if (!text.starts_with(';')) return false;
        text = trim_leading_ows(text.substr(1));
        const std::size_t name = token_length(text);
        if (name == 0) return false;
        text.remove_prefix(name);
        if (!trim_leading_ows(text).starts_with('=')) continue;  // a name alone: BWS only before a ';'
        text = trim_leading_ows(trim_leading_ows(text).substr(1));
        const std::size_t value = text.starts_with('"') ? quoted_string_length(text) : token_length(text);
        if (value == 0) return false;
        text.remove_prefix(value);
    }
    return true;
}

// A request-target is visible ASCII only: no spaces, no controls, and no
// '#', since fragments are never sent (RFC 9112 section 3.2).
bool is_target(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return c > 0x20 && c < 0x7f && c != '#';
    });
}

// The characters a Host value may use: a name or address, maybe a port
// (RFC 9110 section 7.2, uri-host from RFC 3986).
bool is_host(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        return alnum || std::string_view("-._~!$&'()*+,;=:[]%").find(c) != std::string_view::npos;
    });
}

}  // namespace

// ANCHOR: feed
std::size_t RequestParser::feed(std::string_view data) {
    std::size_t used = 0;
    while (used < data.size() && state_ != State::Complete && state_ != State::Failed) {
        const std::string_view rest = data.substr(used);

        if (state_ == State::Body || state_ == State::ChunkData) {
            const std::size_t n = std::min(body_left_, rest.size());
            request_.body.append(rest.substr(0, n));
            used += n;
            body_left_ -= n;
            if (body_left_ == 0) state_ = (state_ == State::Body) ? State::Complete : State::ChunkDataEnd;
            continue;
        }

        // Everything else is a line: collect bytes up to and including '\n'.
        const std::size_t newline = rest.find('\n');
        const std::size_t n = (newline == std::string_view::npos) ? rest.size() : newline + 1;
        if (line_.size() + n > line_limit()) {
            fail(state_ == State::RequestLine ? "request line too long"
                 : state_ == State::ChunkDataEnd ? "chunk data longer than its size"
                 : state_ == State::ChunkSize ? "chunk size line too long"
                                              : "header section too large");
            break;
        }
        line_.append(rest.substr(0, n));
        used += n;
        if (newline == std::string_view::npos) break;  // the line goes on in the next read

        handle_line(line_);
        line_.clear();
    }
    return used;
}
// ANCHOR_END: feed

HttpRequest RequestParser::take_request() {
    HttpRequest done = std::move(request_);
    request_ = HttpRequest{};
    state_ = State::RequestLine;
    header_bytes_ = header_count_ = body_left_ = 0;
    return done;
}

std::size_t RequestParser::line_limit() const {
    switch (state_) {
        case State::RequestLine: return limits_.max_request_line + 2;  // + CRLF
        case State::ChunkSize: return limits_.max_chunk_line;
        case State::ChunkDataEnd: return 2;  // exactly CRLF
        // What is left of the header section's budget, but at least the CRLF of
        // the empty line that ends it (not part of the section, RFC 9112 section 2.1).
        default: return std::max<std::size_t>(limits_.max_header_bytes - header_bytes_, 2);
    }
}

// ANCHOR: handle_line
void RequestParser::handle_line(std::string_view line) {
    // Lines end with CRLF (RFC 9112 section 2.2). A recipient MAY accept a bare
    // LF and MUST reject or replace a bare CR: we refuse both, as llhttp does.
    // A proxy that reads "X: a\nContent-Length: 5" as one field would frame
    // the request otherwise than we do: request smuggling.
    if (!line.ends_with("\r\n")) return fail("bare LF: lines end with CRLF; with nc, use -C");
    line.remove_suffix(2);
    if (line.find('\r') != std::string_view::npos) return fail("bare CR in a line");

    switch (state_) {
        case State::RequestLine:
            // RFC 9112 section 2.2: ignore empty lines before a request line
            // (some old clients send an extra CRLF after a POST body). Only
            // CRLF ones, the RFC's empty line: a bare LF is refused here as
            // anywhere else, one rule for every line and no exception to exploit.
            if (line.empty()) return;
            return parse_request_line(line);
        case State::Headers:
        case State::Trailers:
            return parse_header_line(line, /*trailer=*/state_ == State::Trailers);
        case State::ChunkSize:
            return parse_chunk_size(line);
        case State::ChunkDataEnd:  // line_limit() let nothing but CRLF through
            state_ = State::ChunkSize;
            return;
        default:
            return;
    }
}
// ANCHOR_END: handle_line

// ANCHOR: parse_request_line
// request-line = method SP request-target SP HTTP-version (RFC 9112 section 3)
void RequestParser::parse_request_line(std::string_view line) {
    const std::vector<std::string_view> parts = split(line, ' ');
    if (parts.size() != 3) return fail("the request line must be: METHOD TARGET HTTP/1.1");
    const std::string_view method = parts[0];
    const std::string_view target = parts[1];
    const std::string_view version = parts[2];

    if (!is_token(method)) return fail("bad method");
    // What is valid is kept even if the line fails: an error answer to HEAD
    // has no body, and the log shows what the client asked for.
    request_.method = method;
    if (!is_target(target)) return fail("bad request target");
    request_.target = target;
    // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 section 2.3)
    if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' ||
        !std::isdigit(static_cast<unsigned char>(version[5])) ||
        !std::isdigit(static_cast<unsigned char>(version[7]))) {
        return fail("bad HTTP version");
    }
    request_.version = version;
    if (version != "HTTP/1.1" && version != "HTTP/1.0") return fail("unsupported HTTP version");

    // The four forms of request-target (RFC 9112 section 3.2).
    std::string_view path_and_query;
    if (target.starts_with('/')) {
        path_and_query = target;  // origin-form: "/path?query", what clients send
    } else if (target == "*" && method == "OPTIONS") {
        path_and_query = target;  // asterisk-form: the server as a whole
    } else if (target.starts_with("http://") || target.starts_with("https://")) {
        // absolute-form: "http://host/path", what clients send to proxies
        const std::size_t authority = target.find("//") + 2;
        const std::size_t path_start = target.find_first_of("/?", authority);
        path_and_query = path_start == std::string_view::npos ? "/" : target.substr(path_start);
    } else {
        return fail("bad request target");  // authority-form is for CONNECT, which we do not do
    }

    const std::size_t question = path_and_query.find('?');
    request_.path = path_and_query.substr(0, question);
    if (request_.path.empty()) request_.path = "/";  // "http://host?q" has an empty path
    if (question != std::string_view::npos) request_.query = path_and_query.substr(question + 1);
    state_ = State::Headers;
}
// ANCHOR_END: parse_request_line

// ANCHOR: parse_header_line
// field-line = field-name ":" OWS field-value OWS (RFC 9112 section 5)
void RequestParser::parse_header_line(std::string_view line, bool trailer) {
    if (line.empty()) {  // the empty line ends the section
        if (!trailer) return finish_head();
        state_ = State::Complete;
        return;
    }
    header_bytes_ += line.size() + 2;  // with its CRLF; line_limit() keeps the sum in bounds
    // A line starting with whitespace continues the previous one ("obs-fold");
    // RFC 9112 section 5.2 lets a server reject it, and we do.
    if (line.front() == ' ' || line.front() == '\t') return fail("obsolete line folding");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return fail("header line without a colon");
    const std::string_view name = line.substr(0, colon);
    // No whitespace is allowed between name and colon (RFC 9112 section 5.1):
    // "Host : x" must be rejected, not guessed at.
    if (!is_token(name)) return fail("bad header name");
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (!is_field_value(value)) return fail("bad character in header value");
    if (++header_count_ > limits_.max_header_count) return fail("too many header fields");
    // Trailer fields are checked and counted, then dropped: nothing here
    // needs them, and merging them into the headers would let a client
    // change fields after the framing was decided (RFC 9110 section 6.5).
    if (!trailer) request_.headers.add(std::string(name), std::string(value));
}
// ANCHOR_END: parse_header_line

// ANCHOR: finish_head
// The header section is complete: decide how the body is framed
// (RFC 9112 section 6.3).
void RequestParser::finish_head() {
    const Headers& headers = request_.headers;
    // HTTP/1.1 requests must carry exactly one Host (RFC 9112 section 3.2).
    const std::size_t hosts = headers.count("Host");
    if (hosts > 1) return fail("more than one Host header");
    if (hosts == 0 && request_.version == "HTTP/1.1") return fail("no Host header");
    if (!is_host(headers.get("Host"))) return fail("bad Host header");

    const bool has_length = headers.has("Content-Length");
    if (headers.has("Transfer-Encoding")) {
        // Both framings at once is the classic request-smuggling trick: a
        // proxy may believe one and the server the other. Refuse it.
        if (has_length) return fail("both Content-Length and Transfer-Encoding");
        // HTTP/1.0 has no chunked encoding (RFC 9112 section 6.1).
        if (request_.version == "HTTP/1.0") return fail("Transfer-Encoding in an HTTP/1.0 request");
        // We support exactly one coding, "chunked", applied once.
        std::size_t codings = 0;
        for (std::string_view field : headers.all("Transfer-Encoding")) {
            for (std::string_view coding : split(field, ',')) {
                if (!iequals(trim_ows(coding), "chunked")) return fail("unsupported transfer coding");
                ++codings;
            }
        }
        if (codings != 1) return fail("unsupported transfer coding");
        state_ = State::ChunkSize;
        return;
    }

    if (has_length) {
        // Content-Length may repeat, or be a list, only with one value
        // throughout: "5, 5" is fine, "5, 6" is an attack (RFC 9112 section 6.3).
        std::string_view length_text;
        for (std::string_view field : headers.all("Content-Length")) {
            for (std::string_view item : split(field, ',')) {
                item = trim_ows(item);
                // Each item must be a number: an empty one, as in ", 5",
                // would otherwise be skipped, and "5" would win over a
                // value that a proxy may read as invalid (RFC 9110 section 8.6).
                if (!parse_decimal(item)) return fail("Content-Length is not a number");
                if (!length_text.empty() && item != length_text) return fail("differing Content-Length values");
                length_text = item;
            }
        }
        const auto length = parse_decimal(length_text);
        if (!length) return fail("Content-Length is not a number");
        if (*length > limits_.max_body_bytes) return fail("body too large");
        body_left_ = static_cast<std::size_t>(*length);
        state_ = body_left_ == 0 ? State::Complete : State::Body;
        return;
    }

    // Neither: a request without a body (RFC 9112 section 6.3, rule 7).
    state_ = State::Complete;
}
// ANCHOR_END: finish_head

// ANCHOR: parse_chunk_size
// chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF (RFC 9112 section 7.1)
void RequestParser::parse_chunk_size(std::string_view line) {
    const std::size_t digits_end = std::min(line.find_first_not_of("0123456789abcdefABCDEF"), line.size());
    const auto size = parse_hex(line.substr(0, digits_end));
    if (!size) return fail("bad chunk size");
    if (!is_chunk_ext(line.substr(digits_end))) return fail("bad chunk extension");
    if (*size > limits_.max_body_bytes - request_.body.size()) return fail("body too large");
    body_left_ = static_cast<std::size_t>(*size);
    state_ = body_left_ == 0 ? State::Trailers : State::ChunkData;  // 0: the last chunk, trailers follow
}
// ANCHOR_END: parse_chunk_size

void RequestParser::fail(std::string reason) {
    state_ = State::Failed;
    error_ = std::move(reason);
}
