// SecondCache: a text that changes once a second, made once a second.
//
// A Date header names the current second; a busy server sends thousands a
// second, all alike. Keep one per thread, so no lock is needed:
//
//     thread_local SecondCache date(http_date);
//     response.headers.add("Date", date.text(std::time(nullptr)));
#pragma once

#include <ctime>
#include <string>

class SecondCache {
public:
    explicit SecondCache(std::string (*make)(std::time_t)) : make_(make) {}

    // The text for `now`, made anew only when the second has changed.
    const std::string& text(std::time_t now) {
        if (now != second_) {
            text_ = make_(now);
            second_ = now;
        }
        return text_;
    }

private:
    std::string (*make_)(std::time_t);
    std::time_t second_ = -1;
    std::string text_;
};
