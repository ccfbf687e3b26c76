#include "streams/run.hpp"

#include <iostream>
#include <mutex>

#include <caf/actor_cast.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>

#include "actors/io_module.hpp"

namespace actorstreams::detail {

namespace {

std::string what_of(const std::exception_ptr& ep) {
  try {
    std::rethrow_exception(ep);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

/// One report is one whole line, even with tasks failing on many threads.
void report_line(const std::string& line) {
  static std::mutex mtx;
  std::lock_guard guard{mtx};
  std::cerr << line << std::endl;
}

} // namespace

caf::error exit_reason_of(const std::exception_ptr& ep) {
  if (!ep)
    return caf::error{};
  try {
    std::rethrow_exception(ep);
  } catch (const stream_error& e) {
    return e.error();
  } catch (const std::exception& e) {
    return caf::make_error(caf::sec::runtime_error, std::string{e.what()});
  } catch (...) {
    return caf::make_error(caf::sec::runtime_error,
                           std::string{"unknown exception"});
  }
}

void report_task_exception(const task_actor& host,
                           const std::exception_ptr& ep) {
  report_line("Unhandled exception in task (actor " + std::to_string(host.id())
              + "): " + what_of(ep));
}

void report_handler_exception(const connection_actor& conn,
                              const std::exception_ptr& ep,
                              const std::string& peer) {
  std::string line = "Unhandled exception in client_connected handler";
  if (!peer.empty())
    line += " (peer " + peer + ")";
  report_line(line + ": " + what_of(ep));
  caf::anon_send(conn, close_atom_v);
}

void check_can_block(caf::actor_system& sys, const char* what) {
  if (runs_deterministically(sys))
    throw stream_error(make_error(
      stream_errc::invalid_argument,
      std::string{what}
        + " called in a deterministic runtime: nothing runs while it "
          "blocks; spawn_task the task and await what it answers with "
          "deterministic_runtime::await"));
  if (io_unit::current() != nullptr)
    throw stream_error(make_error(
      stream_errc::invalid_argument,
      std::string{what}
        + " called in an actor that runs on an I/O thread: it would block "
          "its own sockets; co_await the task instead"));
}

} // namespace actorstreams::detail
