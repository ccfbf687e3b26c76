#include "streams/stream_reader.hpp"

#include <algorithm>

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

pending<bytes> stream_reader::readframe(std::size_t width) const {
  return request(read_request{read_op::readframe,
                              static_cast<int64_t>(std::min<std::size_t>(width, 64)),
                              {}});
}

void stream_reader::subscribe(caf::actor subscriber, framing how,
                              std::size_t credit) const {
  subscribe(std::move(subscriber), std::move(how),
            subscribe_options{credit, 1});
}

void stream_reader::subscribe(caf::actor subscriber, framing how,
                              subscribe_options opts) const {
  tell(hdl_, subscribe_atom_v, std::move(subscriber), std::move(how),
       static_cast<uint64_t>(opts.credit), static_cast<uint64_t>(opts.batch));
}

void stream_reader::grant(std::size_t n) const {
  tell(hdl_, grant_atom_v, static_cast<uint64_t>(n));
}

pending<void> stream_reader::unsubscribe() const {
  return {caf::actor_cast<caf::actor>(hdl_),
          caf::make_message(unsubscribe_atom_v)};
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
