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

/// The socket options of `opts`, checked as asyncio checks them:
/// `default_host` is the name a TLS client checks when
/// `opts.server_hostname` is none (none for Unix and adopted sockets).
caf::expected<net::socket_options>
socket_options_of(const connect_options& opts,
                  std::optional<std::string> default_host) {
  net::socket_options so;
  so.read_window = opts.read_window;
  if (!opts.ssl) {
    if (opts.server_hostname)
      return make_error(stream_errc::invalid_argument,
                        "server_hostname is only meaningful with ssl");
    return so;
  }
  if (opts.ssl.role() != tls_context::side::client)
    return make_error(stream_errc::invalid_argument,
                      "connect_options::ssl needs a client context "
                      "(tls_context::client()), not a server's");
  auto name = opts.server_hostname ? *opts.server_hostname
                                   : default_host.value_or("");
  if (name.empty() && opts.ssl.verifies_peer())
    return make_error(stream_errc::invalid_argument,
                      opts.server_hostname
                        ? "an empty server_hostname turns the name check "
                          "off, which needs a context that does not verify "
                          "the peer (tls_context::verify_peer(false))"
                        : "a TLS connection over a Unix or adopted socket "
                          "needs server_hostname: the name the server's "
                          "certificate must carry");
  so.tls.context = opts.ssl;
  so.tls.server_hostname = std::move(name);
  so.tls.handshake_timeout = opts.ssl_handshake_timeout;
  so.tls.shutdown_timeout = opts.ssl_shutdown_timeout;
  return so;
}

/// A pending connect: spawns the connection actor over the transport that
/// `make` creates from the socket options, then waits for it to connect.
template <class MakeTransport>
pending<connection> connect_with(caf::actor_system& sys,
                                 const connect_options& opts,
                                 std::optional<std::string> default_host,
                                 MakeTransport make) {
  auto spawn = [&sys, opts, default_host = std::move(default_host),
                make]() -> caf::expected<caf::actor> {
    auto mod = io_module::try_of(sys);
    if (!mod)
      return missing_io_module();
    if (!mod->has_io())
      return no_io_threads();
    auto so = socket_options_of(opts, default_host);
    if (!so)
      return std::move(so.error());
    auto hdl = spawn_connection(sys, make(mod->io(), std::move(*so)),
                                to_connection_options(opts));
    return caf::actor_cast<caf::actor>(hdl);
  };
  return {std::move(spawn), caf::make_message(connect_atom_v, no_deadline),
          true};
}

} // namespace

pending<connection> open_connection(caf::actor_system& sys, std::string host,
                                    uint16_t port, connect_options opts) {
  net::tcp_connect_options how;
  if (opts.happy_eyeballs_delay)
    how.happy_eyeballs_delay = *opts.happy_eyeballs_delay;
  how.interleave = opts.interleave;
  how.local_addr = opts.local_addr;
  return connect_with(sys, opts, host,
                      [host, port, how](net::io_threads& io,
                                        net::socket_options so) {
                        return net::make_tcp_client(io, host, port, so, how);
                      });
}

pending<connection> open_unix_connection(caf::actor_system& sys,
                                         std::string path,
                                         connect_options opts) {
  return connect_with(sys, opts, std::nullopt,
                      [path = std::move(path)](net::io_threads& io,
                                               net::socket_options so) {
                        return net::make_unix_client(io, path, so);
                      });
}

pending<connection> open_connection(caf::actor_system& sys, native_socket fd,
                                    connect_options opts) {
  return connect_with(sys, opts, std::nullopt,
                      [fd](net::io_threads& io, net::socket_options so) {
                        return net::adopt_socket(io, fd, so);
                      });
}

pending<connection> open_pipe_connection(caf::actor_system& sys, int read_fd,
                                         int write_fd, connect_options opts) {
  if (opts.ssl) {
    auto err = make_error(stream_errc::invalid_argument,
                          "TLS needs a socket, not pipe ends");
    return {[err]() -> caf::expected<caf::actor> { return err; },
            caf::make_message(connect_atom_v, no_deadline), true};
  }
  return connect_with(sys, opts, std::nullopt,
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
