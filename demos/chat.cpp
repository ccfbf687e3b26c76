// chat: a chat room spread over several processes with CAF's middleman
// (docs/distributed.md). One binary, three roles:
//
//   chat --role room  [--host H] --port M
//        runs the room: it owns no socket; it drives every client's
//        connection from afar (push-mode lines in, writes out).
//   chat --role front [--host H] --port P --room HOST:M [--grace SECONDS]
//        accepts TCP clients and hands each connection to the room, on its
//        node; the sockets stay here. Several fronts share one room. If the
//        room's node dies, each connection it owned closes within the grace
//        (default 5 s), and clients that come meanwhile are closed too.
//   chat --role client [--host H] --port P
//        a line client for a terminal: stdin to the front, the room to
//        stdout (nc works as well).
//
// A client types lines; each goes to every other client as "NICK: line".
// "/nick NAME" renames, "/quit" leaves; the room's own lines start with
// "* ". The first output line of room and front is "Serving on H:PORT".
//
// Try:   chat --role room --port 7000 &
//        chat --role front --port 7001 --room 127.0.0.1:7000 &
//        chat --role front --port 7002 --room 127.0.0.1:7000 &
//        chat --role client --port 7001     (and another on 7002)
// Stop:  Ctrl-C or kill -TERM <pid>; exits 0.

#include <streams/all.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <unistd.h>

#include <caf/io/middleman.hpp>

#include "chat_protocol.hpp"
#include "demo_args.hpp"
#include "print_line.hpp"
#include "stop_signals.hpp"

namespace as = actorstreams;
using namespace std::chrono_literals;

namespace {

// -- the room -------------------------------------------------------------------

/// The longest line a client may send.
constexpr std::size_t line_limit = 4096;

struct client {
  as::stream_writer writer;
  std::string nick;
};

struct room_state {
  std::map<as::connection_actor, client> clients;
  std::size_t guests = 0;
  static inline const char* name = "chat.room";
};

using room_actor = caf::stateful_actor<room_state>;

/// Sends `line` to every client but `except`.
void broadcast(room_actor* self, const std::string& line,
               const as::connection_actor& except = {}) {
  for (auto& [conn, c] : self->state.clients)
    if (conn != except)
      c.writer.write(line);
}

std::string present(room_actor* self, const as::connection_actor& except) {
  std::string names;
  for (auto& [conn, c] : self->state.clients)
    if (conn != except)
      names += (names.empty() ? "" : ", ") + c.nick;
  return names.empty() ? "nobody else" : names;
}

bool nick_taken(room_actor* self, const std::string& nick) {
  for (auto& [conn, c] : self->state.clients)
    if (c.nick == nick)
      return true;
  return false;
}

/// One line from `from`.
void on_line(room_actor* self, const as::connection_actor& from,
             const as::bytes& line) {
  auto i = self->state.clients.find(from);
  if (i == self->state.clients.end())
    return;
  auto& me = i->second;
  auto cmd = demos::parse_chat_line(line);
  using kind = demos::chat_command::kind;
  switch (cmd.what) {
    case kind::say:
      broadcast(self, me.nick + ": " + cmd.text + "\n", from);
      break;
    case kind::nick:
      if (cmd.text == me.nick) {
        me.writer.write("* You are now " + me.nick + "\n");
      } else if (nick_taken(self, cmd.text)) {
        me.writer.write("* The name " + cmd.text + " is taken\n");
      } else {
        broadcast(self, "* " + me.nick + " is now " + cmd.text + "\n", from);
        me.nick = cmd.text;
        me.writer.write("* You are now " + me.nick + "\n");
      }
      break;
    case kind::quit:
      me.writer.write("* Bye\n");
      me.writer.close(); // its stream_end says goodbye to the others
      break;
    case kind::invalid:
      me.writer.write("* " + cmd.text + "\n");
      break;
    case kind::empty:
      break;
  }
}

caf::behavior room(room_actor* self) {
  return {
    // A front hands over a client: the connection is ours now (its node
    // closes it if we die), and it pushes us its lines.
    [self](as::connected_atom, const as::connection& conn) {
      auto nick = "guest" + std::to_string(++self->state.guests);
      auto from = conn.reader.handle();
      conn.writer.write("* Welcome, " + nick + "! Here: " + present(self, from)
                        + ". /nick NAME to rename, /quit to leave.\n");
      broadcast(self, "* " + nick + " joined\n");
      self->state.clients[from] = client{conn.writer, nick};
      conn.reader.subscribe(caf::actor{self}, as::framing::lines(), 16);
      demos::print_line(nick + " joined");
    },
    [self](as::frame_atom, const as::connection_actor& from,
           const as::bytes& line) {
      as::stream_reader{from}.grant(1);
      on_line(self, from, line);
    },
    // A line over the limit: dropped, the client is told.
    [self](as::frame_atom, const as::connection_actor& from, const caf::error&) {
      as::stream_reader{from}.grant(1);
      auto i = self->state.clients.find(from);
      if (i != self->state.clients.end())
        i->second.writer.write("* Your line was longer than "
                               + std::to_string(line_limit)
                               + " bytes; it was dropped\n");
    },
    [self](as::stream_end_atom, const as::connection_actor& from,
           const caf::error&) {
      auto i = self->state.clients.find(from);
      if (i == self->state.clients.end())
        return;
      auto gone = std::move(i->second);
      self->state.clients.erase(i);
      gone.writer.close();
      broadcast(self, "* " + gone.nick + " left\n");
      demos::print_line(gone.nick + " left");
    },
  };
}

int run_room(const std::string& host, uint16_t port) {
  auto stop_signals = demos::block_stop_signals();
  as::runtime rt;
  auto& sys = rt.system();
  auto actor = sys.spawn(room);
  auto bound = sys.middleman().publish(actor, port, host.c_str());
  if (!bound) {
    std::cerr << "chat: cannot publish the room on " << host << ":" << port
              << ": " << sys.render(bound.error()) << std::endl;
    return EXIT_FAILURE;
  }
  demos::print_line("Serving on " + host + ":" + std::to_string(*bound));
  demos::wait_for_stop(stop_signals);
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  return EXIT_SUCCESS;
}

// -- a front --------------------------------------------------------------------

/// The room's actor on its node, retried for up to 10 s (it may still be
/// starting).
caf::expected<caf::actor> find_room(caf::actor_system& sys,
                                    const std::string& host, uint16_t port) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    auto room = sys.middleman().remote_actor(host, port);
    if (room || std::chrono::steady_clock::now() > deadline)
      return room;
    std::this_thread::sleep_for(200ms);
  }
}

int run_front(const std::string& host, uint16_t port,
              const std::string& room_at, double grace) {
  auto colon = room_at.rfind(':');
  uint16_t room_port = 0;
  if (colon == std::string::npos
      || !demos::parse_port(room_at.substr(colon + 1), room_port)) {
    std::cerr << "chat: --room HOST:PORT expected, got '" << room_at << "'"
              << std::endl;
    return 2;
  }
  auto room_host = room_at.substr(0, colon);
  auto stop_signals = demos::block_stop_signals();
  as::runtime rt;
  auto& sys = rt.system();
  auto room = find_room(sys, room_host, room_port);
  if (!room) {
    std::cerr << "chat: no room at " << room_at << ": "
              << sys.render(room.error()) << std::endl;
    return EXIT_FAILURE;
  }
  as::server_options opts;
  opts.limit = line_limit;
  opts.owner_grace = std::chrono::duration_cast<caf::timespan>(
    std::chrono::duration<double>{grace});
  // The room itself is the handler: each client's connection goes to it,
  // on its node, and it owns the connection from then on.
  auto srv = as::start_server(sys, *room, host, port, opts).get(10s);
  if (!srv) {
    std::cerr << "chat: cannot serve on " << host << ":" << port << ": "
              << as::describe(srv.error()) << std::endl;
    return EXIT_FAILURE;
  }
  demos::print_line("Serving on " + demos::join_addresses(srv->addresses()));
  demos::print_line("Room at " + room_at);
  // Says so when the room (or its node) is lost. (Its handle is kept: an
  // actor that nobody references is gone at once.)
  auto watcher = sys.spawn(
    [room_at](caf::event_based_actor* self, caf::actor watched) -> caf::behavior {
      self->monitor(watched);
      self->set_down_handler([self, room_at](caf::down_msg& dm) {
        demos::print_line("Room at " + room_at + " is lost ("
                          + caf::to_string(dm.reason)
                          + "); its clients are closed");
        self->quit();
      });
      // A behavior keeps the watcher alive until then; nothing else comes.
      return {[](caf::unit_t) {}};
    },
    *room);
  demos::wait_for_stop(stop_signals);
  srv->close();
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  return EXIT_SUCCESS;
}

// -- a line client --------------------------------------------------------------

/// The room's lines to stdout, until the front closes.
as::task<void> print_room(as::stream_reader from_room) {
  for (;;) {
    auto line = co_await from_room.readline();
    if (line.empty())
      break;
    std::cout << line << std::flush;
  }
}

/// stdin's lines to the room; EOF on stdin quits.
as::task<void> forward_stdin(as::stream_reader in, as::stream_writer to_room) {
  for (;;) {
    auto line = co_await in.readline();
    if (line.empty())
      break;
    to_room.write(line);
    co_await to_room.drain();
  }
  to_room.write("/quit\n");
}

int run_client(const std::string& host, uint16_t port) {
  as::runtime rt;
  auto& sys = rt.system();
  auto conn = as::open_connection(sys, host, port).get(10s);
  if (!conn) {
    std::cerr << "chat: cannot connect to " << host << ":" << port << ": "
              << as::describe(conn.error()) << std::endl;
    return EXIT_FAILURE;
  }
  auto in = as::open_pipe_connection(sys, ::dup(0), -1).get(10s);
  if (!in) {
    std::cerr << "chat: cannot read stdin (a terminal or a pipe): "
              << as::describe(in.error()) << std::endl;
    return EXIT_FAILURE;
  }
  as::spawn_task(sys, forward_stdin, in->reader, conn->writer);
  try {
    as::run(sys, print_room(conn->reader));
  } catch (const as::stream_error& e) {
    std::cerr << "chat: " << e.what() << std::endl;
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}

void usage(std::ostream& out) {
  out << "usage: chat --role room [--host H] --port M\n"
         "       chat --role front [--host H] --port P --room HOST:M "
         "[--grace SECONDS]\n"
         "       chat --role client [--host H] --port P\n"
         "  --port 0 picks a free port (room and front print it first).\n";
}

} // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string role;
  std::string room_at;
  std::string grace_text = "5";
  if (auto code = demos::parse_args(argc, argv, "chat", usage, host, port,
                                    {{"--role", &role},
                                     {"--room", &room_at},
                                     {"--grace", &grace_text}}))
    return *code;
  if (role == "room")
    return run_room(host, port);
  if (role == "front") {
    char* end = nullptr;
    double grace = std::strtod(grace_text.c_str(), &end);
    if (room_at.empty() || end == grace_text.c_str() || *end != '\0'
        || grace < 0) {
      usage(std::cerr);
      return 2;
    }
    return run_front(host, port, room_at, grace);
  }
  if (role == "client")
    return run_client(host, port);
  usage(std::cerr);
  return 2;
}
