// A second node for the distribution tests (distributed_test.cpp), started
// and stopped by PID: it publishes one actor on 127.0.0.1 with CAF's
// middleman and prints "port N", then serves until killed.
//
//   distributed_node directory      connections to drive from afar:
//                                   (get, name) -> connection
//   distributed_node echo-handler   a server handler: (connected_atom,
//                                   connection) -> echoes each line back,
//                                   driving the connection from here
#include <streams/all.hpp>

#include <csignal>
#include <iostream>
#include <map>
#include <string>

#include <caf/io/middleman.hpp>

namespace as = actorstreams;

namespace {

using get_atom = caf::atom_constant<caf::atom("get")>;

/// Echoes lines until EOF, then closes (the reads go to the connection's
/// node, the connection actor stays where the socket is).
as::task<void> echo_lines(as::stream_reader in, as::stream_writer out) {
  for (;;) {
    auto line = co_await in.readline();
    if (line.empty())
      break;
    out.write(line);
    co_await out.drain();
  }
  out.close();
}

as::connection reader_with(caf::actor_system& sys, std::size_t limit,
                           const as::bytes& data, bool eof) {
  auto r = as::make_stream_reader(sys, limit);
  if (!data.empty())
    r.feed_data(data);
  if (eof)
    r.feed_eof();
  return {r, as::stream_writer{r.handle()}};
}

caf::behavior directory(caf::event_based_actor* self) {
  auto& sys = self->system();
  std::map<std::string, as::connection> conns;
  conns["eof"] = reader_with(sys, as::default_limit, "abc", true);
  conns["long"] = reader_with(sys, 4, "toolong\n", false);
  conns["lines"] = reader_with(sys, as::default_limit, "one\ntwo\nthree\n", true);
  conns["idle"] = reader_with(sys, as::default_limit, "", false);
  auto [a, b] = as::make_memory_pair(sys);
  as::spawn_task(sys, echo_lines, b.reader, b.writer);
  conns["echo"] = a;
  return {
    [conns](get_atom, const std::string& name) -> caf::result<as::connection> {
      auto i = conns.find(name);
      if (i == conns.end())
        return as::make_error(as::stream_errc::invalid_argument,
                              "no connection named " + name);
      return i->second;
    },
  };
}

caf::behavior echo_handler(caf::event_based_actor* self) {
  return {
    [self](as::connected_atom, const as::connection& conn) {
      std::cout << "connected" << std::endl;
      as::spawn_task(self->system(), echo_lines, conn.reader, conn.writer);
      // The handler (this actor) stays the owner: if this node dies, the
      // connection's node closes the connection.
    },
  };
}

} // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "directory" && mode != "echo-handler") {
    std::cerr << "usage: distributed_node directory|echo-handler" << std::endl;
    return 2;
  }
  // Before any thread starts: only sigwait sees SIGTERM and SIGINT.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  as::runtime rt;
  auto& sys = rt.system();
  auto actor = mode == "directory" ? sys.spawn(directory)
                                   : sys.spawn(echo_handler);
  auto port = sys.middleman().publish(actor, 0, "127.0.0.1");
  if (!port) {
    std::cerr << "publish failed: " << sys.render(port.error()) << std::endl;
    return 1;
  }
  std::cout << "port " << *port << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  return 0;
}
