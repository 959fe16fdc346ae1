// LruMap: a hash map with a bound on its size.
//
// Tables that a client can make grow (sessions, rate-limit counters) must
// not grow without end. When full, an LruMap forgets the entry used least
// recently: a list keeps the entries in order of use, most recent first, and
// the map finds an entry's place in the list. Moving an entry to the front
// (std::list::splice) invalidates no iterator, so the map's stay valid.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <stdexcept>
#include <unordered_map>
#include <utility>

template <typename Key, typename Value, typename Hash = std::hash<Key>,
          typename Equal = std::equal_to<Key>>
class LruMap {
public:
    explicit LruMap(std::size_t capacity) : capacity_(capacity) {
        if (capacity == 0) throw std::invalid_argument("an LruMap must hold one entry");
    }

    // The value for `key`, now the most recently used; nullptr if absent.
    Value* find(const Key& key) {
        const auto found = index_.find(key);
        if (found == index_.end()) return nullptr;
        entries_.splice(entries_.begin(), entries_, found->second);
        return &found->second->second;
    }

    // Stores `value` for `key` as the most recently used. Room is made first:
    // from the least recently used end, entries for which `worthless(value)`
    // is true go, then one more if the map is still full.
    template <typename Worthless>
    Value& put(const Key& key, Value value, Worthless worthless) {
        erase(key);
        while (!entries_.empty() &&
               (entries_.size() >= capacity_ || worthless(entries_.back().second))) {
            erase(entries_.back().first);
        }
        entries_.emplace_front(key, std::move(value));
        index_.emplace(key, entries_.begin());
        return entries_.front().second;
    }

    bool erase(const Key& key) {
        const auto found = index_.find(key);
        if (found == index_.end()) return false;
        entries_.erase(found->second);
        index_.erase(found);
        return true;
    }

    std::size_t size() const { return entries_.size(); }

private:
    using Entries = std::list<std::pair<Key, Value>>;
    std::size_t capacity_;
    Entries entries_;  // most recently used first
    std::unordered_map<Key, typename Entries::iterator, Hash, Equal> index_;
};
