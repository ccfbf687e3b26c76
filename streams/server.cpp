#include "streams/server.hpp"

#include <caf/send.hpp>

#include "actors/io_module.hpp"
#include "net/sockets.hpp"
#include "streams/internal.hpp"

namespace actorstreams {

void server::close() const {
  caf::anon_send(hdl_, close_atom_v);
}

pending<void> server::wait_closed() const {
  return {caf::actor_cast<caf::actor>(hdl_),
          caf::make_message(wait_closed_atom_v)};
}

pending<bool> server::is_serving() const {
  return {caf::actor_cast<caf::actor>(hdl_),
          caf::make_message(is_serving_atom_v)};
}

void server::close_clients() const {
  caf::anon_send(hdl_, close_clients_atom_v);
}

void server::abort_clients() const {
  caf::anon_send(hdl_, abort_clients_atom_v);
}

server pending_traits<server>::convert(const caf::actor& hdl,
                                       listener_opened&& reply) {
  return server{caf::actor_cast<server_actor>(hdl), std::move(reply.addresses),
                reply.port};
}

namespace detail {

void report_handler_exception(const connection_actor& conn,
                              std::exception_ptr ep) {
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(ep);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    // keep the default text
  }
  std::cerr << "Unhandled exception in client_connected_cb: " << what
            << std::endl;
  caf::anon_send(conn, close_atom_v);
}

void track_handler(caf::actor_system& sys, const caf::actor& handler) {
  if (auto mod = io_module::try_of(sys))
    mod->track(caf::actor_cast<caf::strong_actor_ptr>(handler));
}

pending<server> start_server_impl(caf::actor_system& sys,
                                  client_handler handler, bool unix_socket,
                                  std::string where, uint16_t port,
                                  server_options opts) {
  auto spawn = [&sys, handler = std::move(handler), unix_socket,
                where = std::move(where), port,
                opts]() -> caf::expected<caf::actor> {
    auto mod = io_module::try_of(sys);
    if (!mod)
      return missing_io_module();
    if (!mod->has_io())
      return no_io_threads();
    if (opts.ssl && opts.ssl.role() != tls_context::side::server)
      return make_error(stream_errc::invalid_argument,
                        "server_options::ssl needs a server context "
                        "(tls_context::server(cert, key))");
    net::listen_options lopts;
    lopts.backlog = opts.backlog;
    lopts.reuse_address = opts.reuse_address;
    lopts.reuse_port = opts.reuse_port;
    lopts.cleanup_socket = opts.cleanup_socket;
    lopts.accepted.read_window = opts.read_window;
    lopts.accepted.tls.context = opts.ssl;
    lopts.accepted.tls.handshake_timeout = opts.ssl_handshake_timeout;
    lopts.accepted.tls.shutdown_timeout = opts.ssl_shutdown_timeout;
    auto listener = unix_socket
                      ? net::make_unix_listener(mod->io(), where, lopts)
                      : net::make_tcp_listener(mod->io(), where, port, lopts);
    return caf::actor_cast<caf::actor>(spawn_server(
      sys, std::move(listener), handler, to_connection_options(opts)));
  };
  return {std::move(spawn), caf::make_message(serve_atom_v, no_deadline), true};
}

} // namespace detail

} // namespace actorstreams
