#pragma once

// stop_signals: how the demo servers run until SIGINT or SIGTERM without
// doing any work in a signal handler.

#include <csignal>
#include <string>
#include <vector>

#include <pthread.h>

namespace demos {

/// Blocks SIGINT and SIGTERM in the calling thread. Call it before the
/// runtime starts its threads: they inherit the mask, so only
/// `wait_for_stop` sees the signals.
inline sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

/// Waits for one of the signals `block_stop_signals` blocked.
inline int wait_for_stop(const sigset_t& set) {
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

/// "127.0.0.1:8888, [::1]:8888": the addresses a server bound, for its
/// `Serving on` line.
inline std::string join_addresses(const std::vector<std::string>& addrs) {
  std::string result;
  for (const auto& addr : addrs)
    result += (result.empty() ? "" : ", ") + addr;
  return result;
}

} // namespace demos
