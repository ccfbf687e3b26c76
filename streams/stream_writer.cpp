#include "streams/stream_writer.hpp"

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

pending<void> stream_writer::drain() const {
  return {caf::actor_cast<caf::actor>(hdl_), caf::make_message(drain_atom_v)};
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

pending<bytes> stream_writer::get_extra_info(std::string name) const {
  return {caf::actor_cast<caf::actor>(hdl_),
          caf::make_message(extra_info_atom_v, std::move(name))};
}

} // namespace actorstreams
