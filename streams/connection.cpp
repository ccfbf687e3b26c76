#include "streams/connection.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>

#include "actors/io_module.hpp"
#include "net/sockets.hpp"
#include "streams/internal.hpp"

namespace actorstreams {

connection pending_traits<connection>::convert(const caf::actor& hdl) {
  auto conn = caf::actor_cast<connection_actor>(hdl);
  return connection{stream_reader{conn}, stream_writer{conn}};
}

namespace {

/// A pending connect: spawns the connection actor over the transport that
/// `make` creates, then waits for it to connect.
template <class MakeTransport>
pending<connection> connect_with(caf::actor_system& sys,
                                 const connect_options& opts,
                                 MakeTransport make) {
  auto spawn = [&sys, opts, make]() -> caf::expected<caf::actor> {
    auto mod = io_module::try_of(sys);
    if (!mod)
      return missing_io_module();
    net::socket_options sopts;
    sopts.read_window = opts.read_window;
    auto hdl = spawn_connection(sys, make(mod->io(), sopts),
                                to_connection_options(opts));
    return caf::actor_cast<caf::actor>(hdl);
  };
  return {std::move(spawn), caf::make_message(connect_atom_v, no_deadline),
          true};
}

} // namespace

pending<connection> open_connection(caf::actor_system& sys, std::string host,
                                    uint16_t port, connect_options opts) {
  return connect_with(sys, opts,
                      [host = std::move(host), port](net::io_threads& io,
                                                     net::socket_options so) {
                        return net::make_tcp_client(io, host, port, so);
                      });
}

pending<connection> open_unix_connection(caf::actor_system& sys,
                                         std::string path,
                                         connect_options opts) {
  return connect_with(sys, opts,
                      [path = std::move(path)](net::io_threads& io,
                                               net::socket_options so) {
                        return net::make_unix_client(io, path, so);
                      });
}

pending<connection> open_connection(caf::actor_system& sys, native_socket fd,
                                    connect_options opts) {
  return connect_with(sys, opts,
                      [fd](net::io_threads& io, net::socket_options so) {
                        return net::adopt_socket(io, fd, so);
                      });
}

pending<connection> open_pipe_connection(caf::actor_system& sys, int read_fd,
                                         int write_fd, connect_options opts) {
  return connect_with(sys, opts,
                      [read_fd, write_fd](net::io_threads& io,
                                          net::socket_options so) {
                        return net::make_pipe_transport(io, read_fd, write_fd,
                                                        so);
                      });
}

pending<connection> open_connection(caf::actor_system& sys,
                                    net::transport_ptr transport,
                                    connect_options opts) {
  auto spawn = [&sys, opts, transport]() -> caf::expected<caf::actor> {
    if (!transport)
      return make_error(stream_errc::invalid_argument, "no transport");
    auto hdl = spawn_connection(sys, transport, to_connection_options(opts));
    return caf::actor_cast<caf::actor>(hdl);
  };
  return {std::move(spawn), caf::make_message(connect_atom_v, no_deadline),
          true};
}

} // namespace actorstreams
