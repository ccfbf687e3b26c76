#pragma once

// echo_handlers: the per-client handler of tcp_echo_server, in both styles:
// the coroutine (tcp_echo_server.cpp) and the actor (tcp_echo_server_actor.cpp).
// Kept apart from the programs so that tests/demos/demo_protocol_test.cpp
// can drive them on the test kit's deterministic runtime.

#include <iostream>
#include <string>

#include <streams/all.hpp>

#include "print_line.hpp"
#include "py_repr.hpp"

namespace demos {

/// One task per client: read up to 100 bytes, echo them, close. An error
/// escaping it is reported once with the peer and closes the connection.
inline actorstreams::task<void> handle_echo(actorstreams::stream_reader reader,
                                            actorstreams::stream_writer writer) {
  auto data = co_await reader.read(100);
  auto message = py_repr(data);
  auto addr = co_await writer.get_extra_info("peername");

  print_line("Received " + message + " from " + py_repr(addr));
  print_line("Send: " + message);
  writer.write(data);
  co_await writer.drain();

  print_line("Close the client socket");
  writer.close();
  co_await writer.wait_closed();
}

/// Reports a failed step of `handle_echo_actor` on stderr and gives up on
/// the client. `closed` means that we closed the connection (the server is
/// shutting down), so there is nothing to report.
inline auto give_up(actorstreams::stream_writer writer, std::string what) {
  return [writer, what](caf::error err) {
    if (actorstreams::as_stream_errc(err) != actorstreams::stream_errc::closed)
      std::cerr << "tcp_echo_server_actor: " << what << ": "
                << actorstreams::describe(err) << std::endl;
    writer.close();
  };
}

/// One actor per client: read up to 100 bytes, echo them, close; each step
/// chained with `then(self, ...)`, so nothing blocks inside the actor.
inline caf::behavior handle_echo_actor(caf::event_based_actor* self,
                                       actorstreams::stream_reader reader,
                                       actorstreams::stream_writer writer) {
  reader.read(100).then(
    self,
    [self, writer](actorstreams::bytes data) {
      writer.get_extra_info("peername")
        .then(
          self,
          [self, writer, data](actorstreams::bytes peer) {
            auto message = py_repr(data);
            print_line("Received " + message + " from " + py_repr(peer));
            print_line("Send: " + message);
            writer.write(data);
            writer.drain().then(
              self,
              [self, writer] {
                print_line("Close the client socket");
                writer.close();
                writer.wait_closed().then(self, [] {},
                                          give_up(writer, "wait_closed"));
              },
              give_up(writer, "drain"));
          },
          give_up(writer, "get_extra_info"));
    },
    give_up(writer, "read"));
  // No behavior of its own: the actor lives while its requests are pending
  // and terminates after the last reply.
  return {};
}

} // namespace demos
