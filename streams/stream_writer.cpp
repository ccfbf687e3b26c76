#include "streams/stream_writer.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "actors/io_unit.hpp"

namespace actorstreams {

void stream_writer::write(bytes data) const {
  tell(hdl_, write_atom_v, std::move(data));
}

void stream_writer::writelines(std::vector<bytes> lines) const {
  tell(hdl_, writelines_atom_v, std::move(lines));
}

void stream_writer::write_frame(bytes payload, std::size_t width) const {
  if (width != 1 && width != 2 && width != 4 && width != 8)
    throw std::invalid_argument("write_frame: the length's width must be 1, "
                                "2, 4 or 8 bytes, not "
                                + std::to_string(width));
  uint64_t size = payload.size();
  if (width < 8 && size >> (8 * width) != 0)
    throw std::length_error("write_frame: a payload of "
                            + std::to_string(size)
                            + " bytes does not fit a length of "
                            + std::to_string(width) + " byte"
                            + (width == 1 ? "" : "s"));
  bytes frame;
  frame.reserve(width + payload.size());
  for (auto shift = 8 * width; shift > 0; shift -= 8)
    frame.push_back(static_cast<char>((size >> (shift - 8)) & 0xff));
  frame.append(payload);
  tell(hdl_, write_atom_v, std::move(frame));
}

pending<void> stream_writer::drain() const {
  return {caf::actor_cast<caf::actor>(hdl_), caf::make_message(drain_atom_v)};
}

pending<void> stream_writer::start_tls(tls_context ctx,
                                       std::string server_hostname) const {
  start_tls_options opts;
  opts.server_hostname = std::move(server_hostname);
  return start_tls(std::move(ctx), std::move(opts));
}

pending<void> stream_writer::start_tls(tls_context ctx,
                                       start_tls_options how) const {
  auto fail = [](std::string what) -> pending<void> {
    auto err = make_error(stream_errc::invalid_argument, std::move(what));
    return {[err]() -> caf::expected<caf::actor> { return err; },
            caf::make_message(start_tls_atom_v, net::tls_options{})};
  };
  if (!ctx)
    return fail("start_tls needs a TLS context");
  bool client = ctx.role() == tls_context::side::client;
  if (!client && how.server_hostname)
    return fail("server_hostname is for the client side of start_tls");
  net::tls_options opts;
  opts.server_hostname = how.server_hostname.value_or("");
  opts.shutdown_timeout = how.shutdown_timeout;
  opts.send_first = std::move(how.send_first);
  if (client && opts.server_hostname.empty() && ctx.verifies_peer())
    return fail("start_tls as a client needs server_hostname: the name the "
                "server's certificate must carry (or a context that does not "
                "verify)");
  opts.context = std::move(ctx);
  opts.handshake_timeout = how.handshake_timeout;
  return {caf::actor_cast<caf::actor>(hdl_),
          caf::make_message(start_tls_atom_v, std::move(opts))};
}

pending<bool> stream_writer::can_write_eof() const {
  return {caf::actor_cast<caf::actor>(hdl_),
          caf::make_message(can_write_eof_atom_v)};
}

void stream_writer::write_eof() const {
  tell(hdl_, write_eof_atom_v);
}

void stream_writer::close() const {
  tell(hdl_, close_atom_v);
}

pending<bool> stream_writer::is_closing() const {
  return {caf::actor_cast<caf::actor>(hdl_),
          caf::make_message(is_closing_atom_v)};
}

pending<void> stream_writer::wait_closed() const {
  return {caf::actor_cast<caf::actor>(hdl_),
          caf::make_message(wait_closed_atom_v)};
}

pending<void> stream_writer::set_owner(caf::actor owner) const {
  return {caf::actor_cast<caf::actor>(hdl_),
          caf::make_message(owner_atom_v, std::move(owner))};
}

pending<bytes> stream_writer::get_extra_info(std::string name) const {
  return {caf::actor_cast<caf::actor>(hdl_),
          caf::make_message(extra_info_atom_v, std::move(name))};
}

} // namespace actorstreams
