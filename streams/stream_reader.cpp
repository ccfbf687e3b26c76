#include "streams/stream_reader.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "actors/io_unit.hpp"

namespace actorstreams {

pending<bytes> stream_reader::request(read_request req) const {
  return {caf::actor_cast<caf::actor>(hdl_),
          caf::make_message(read_atom_v, std::move(req), no_deadline), true};
}

pending<bytes> stream_reader::read(int64_t n) const {
  return request(read_request{read_op::read, n, {}});
}

pending<bytes> stream_reader::readline() const {
  return request(read_request{read_op::readline, 0, {}});
}

pending<bytes> stream_reader::readexactly(int64_t n) const {
  return request(read_request{read_op::readexactly, n, {}});
}

pending<bytes> stream_reader::readuntil(bytes separator) const {
  std::vector<bytes> seps;
  seps.push_back(std::move(separator));
  return request(read_request{read_op::readuntil, 0, std::move(seps)});
}

pending<bytes> stream_reader::readuntil(std::vector<bytes> separators) const {
  return request(read_request{read_op::readuntil, 0, std::move(separators)});
}

pending<bool> stream_reader::at_eof() const {
  return {caf::actor_cast<caf::actor>(hdl_), caf::make_message(at_eof_atom_v)};
}

pending<std::optional<caf::error>> stream_reader::exception() const {
  return {caf::actor_cast<caf::actor>(hdl_),
          caf::make_message(exception_atom_v)};
}

void stream_reader::feed_data(bytes data) const {
  tell(hdl_, feed_data_atom_v, std::move(data));
}

void stream_reader::feed_eof() const {
  tell(hdl_, feed_eof_atom_v);
}

void stream_reader::set_exception(caf::error err) const {
  tell(hdl_, set_exception_atom_v, std::move(err));
}

stream_reader make_stream_reader(caf::actor_system& sys, std::size_t limit) {
  connection_options opts;
  opts.limit = limit;
  return stream_reader{spawn_connection(sys, nullptr, opts)};
}

} // namespace actorstreams
