// Serving one client connection: every byte it sends comes back.
#pragma once

#include <cstddef>

#include "stop_signal.hpp"

// Sends back everything the client sends, until it closes (or we stop).
// Returns how many bytes went back.
std::size_t serve_connection(int client, const StopSignal& stop);
