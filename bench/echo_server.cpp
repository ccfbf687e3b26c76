// echo_server: the benchmark echo server, with its handler in either style:
// a per-connection actor whose steps chain with `then(self, ...)`
// (--handler actor, the default), or a coroutine task per connection
// (--handler task), so that the two are measured side by side.
//
//   read mode:  loop reader.read(65536) -> writer.write -> writer.drain();
//               at EOF drain and close (bench/README.md's raw echo)
//   line mode:  loop reader.readline() -> writer.write(line) -> drain();
//               a line over --limit is dropped and the next one echoed
//   push mode:  the connection pushes frames (--framing lines or chunks) to
//               the handler actor under credit (--credit, default 16); the
//               handler writes each back one-way and, every --grant frames
//               (default 8; 0: never), grants as many once its writes have
//               drained; --batch N delivers up to N frames per message
//
// Run:   echo_server [--host 127.0.0.1] [--port 8888]
//                    [--mode read|line|push] [--handler actor|task]
//                    [--framing lines|chunks] [--credit 16] [--grant 8]
//                    [--batch 1] [--limit 65536] [--io-threads 1]
//        (--port 0 picks a free port; the first line shows the real one)
// Bench: bench/run_bench.sh BUILD_DIR (the shared harness, see
//        ../shared/bench/README.md)
// Stop:  Ctrl-C or kill -TERM <pid>; exits 0.

#include <streams/all.hpp>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pthread.h>

namespace as = actorstreams;

namespace {

/// The error handler of every step: closes the connection and ends the
/// actor. A reset or a close is how connections end; anything else is worth
/// a line on stderr.
auto give_up(caf::event_based_actor* self, as::stream_writer writer) {
  return [self, writer](const caf::error& err) {
    auto code = as::as_stream_errc(err);
    if (code != as::stream_errc::connection_reset
        && code != as::stream_errc::closed)
      std::cerr << "echo_server: " << as::describe(err) << std::endl;
    writer.close();
    self->quit();
  };
}

/// Read mode, one round: read up to 64 KiB, echo it, wait for the drain.
void echo_chunk(caf::event_based_actor* self, as::stream_reader reader,
                as::stream_writer writer) {
  reader.read(65536).then(
    self,
    [self, reader, writer](as::bytes data) {
      if (data.empty()) { // EOF: flush the echo, then close
        writer.drain().then(
          self,
          [self, writer] {
            writer.close();
            self->quit();
          },
          give_up(self, writer));
        return;
      }
      writer.write(std::move(data));
      writer.drain().then(
        self, [self, reader, writer] { echo_chunk(self, reader, writer); },
        give_up(self, writer));
    },
    give_up(self, writer));
}

/// Line mode, one round: read a line, echo it, wait for the drain.
void echo_line(caf::event_based_actor* self, as::stream_reader reader,
               as::stream_writer writer) {
  reader.readline().then(
    self,
    [self, reader, writer](as::bytes line) {
      if (line.empty()) { // EOF
        writer.close();
        self->quit();
        return;
      }
      writer.write(std::move(line));
      writer.drain().then(
        self, [self, reader, writer] { echo_line(self, reader, writer); },
        give_up(self, writer));
    },
    [self, reader, writer](const caf::error& err) {
      // readline discarded the whole over-long line: go on with the next.
      if (as::as_limit_overrun(err))
        echo_line(self, reader, writer);
      else
        give_up(self, writer)(err);
    });
}

// The start_server handlers: one actor per connection. They return no
// behavior; the actor lives while a request of its chain is pending.

caf::behavior echo_chunks(caf::event_based_actor* self,
                          as::stream_reader reader, as::stream_writer writer) {
  echo_chunk(self, reader, writer);
  return {};
}

caf::behavior echo_lines(caf::event_based_actor* self,
                         as::stream_reader reader, as::stream_writer writer) {
  echo_line(self, reader, writer);
  return {};
}

// The same two loops as coroutine tasks (one task, in one actor, per
// connection). A reset or a close ends them quietly; anything else escapes
// and is reported once by the server, with the peer.

/// Whether `e` is how a connection ends rather than a failure.
bool is_end(const as::stream_error& e) {
  return e.code() == as::stream_errc::connection_reset
         || e.code() == as::stream_errc::closed;
}

as::task<void> echo_chunks_task(as::stream_reader reader,
                                as::stream_writer writer) {
  try {
    for (;;) {
      auto data = co_await reader.read(65536);
      if (data.empty())
        break; // EOF: flush the echo, then close
      writer.write(std::move(data));
      co_await writer.drain();
    }
    co_await writer.drain();
  } catch (const as::stream_error& e) {
    if (!is_end(e))
      throw;
  }
  writer.close();
}

as::task<void> echo_lines_task(as::stream_reader reader,
                               as::stream_writer writer) {
  try {
    for (;;) {
      auto line = co_await reader.readline().as_expected();
      if (!line && as::as_limit_overrun(line.error()))
        continue; // readline discarded the whole over-long line
      if (!line)
        throw as::stream_error(std::move(line.error()));
      if (line->empty())
        break; // EOF
      writer.write(std::move(*line));
      co_await writer.drain();
    }
  } catch (const as::stream_error& e) {
    if (!is_end(e))
      throw;
  }
  writer.close();
}

// Push mode: the connection sends frames, the handler echoes them.

struct push_options {
  bool chunks = false;
  std::size_t credit = 16;
  std::size_t grant = 8;
  std::size_t batch = 1;
};

caf::behavior echo_pushed(caf::event_based_actor* self,
                          as::stream_reader reader, as::stream_writer writer,
                          push_options o) {
  reader.subscribe(caf::actor{self},
                   o.chunks ? as::framing::chunks() : as::framing::lines(),
                   as::subscribe_options{o.credit, o.batch});
  auto handled = std::make_shared<std::size_t>(0);
  // n more frames handled: every o.grant of them, the credit comes back once
  // the echo so far has drained (at once below the high-water mark), so a
  // client that does not read stops its own stream.
  auto done = [self, reader, writer, o, handled](std::size_t n) {
    if (o.grant == 0)
      return; // never: a subscriber that never grants (memory benchmark)
    *handled += n;
    if (*handled < o.grant)
      return;
    auto granted = std::exchange(*handled, 0);
    writer.drain().then(
      self, [reader, granted] { reader.grant(granted); },
      give_up(self, writer));
  };
  return {
    [writer, done](as::frame_atom, const as::connection_actor&,
                   as::bytes& frame) {
      writer.write(std::move(frame));
      done(1);
    },
    [writer, done](as::frame_atom, const as::connection_actor&,
                   std::vector<as::bytes>& frames) {
      auto n = frames.size();
      writer.writelines(std::move(frames));
      done(n);
    },
    [done](as::frame_atom, const as::connection_actor&, const caf::error&) {
      done(1); // an over-long line: skipped
    },
    [self, writer](as::stream_end_atom, const as::connection_actor&,
                   const caf::error& reason) {
      auto code = as::as_stream_errc(reason);
      if (reason && code != as::stream_errc::connection_reset
          && code != as::stream_errc::closed)
        std::cerr << "echo_server: " << as::describe(reason) << std::endl;
      writer.close(); // after the echo queued so far
      self->quit();
    },
  };
}

void usage(std::ostream& out) {
  out << "usage: echo_server [--host H] [--port P] [--mode read|line|push]\n"
         "                   [--handler actor|task] [--framing lines|chunks]\n"
         "                   [--credit N] [--grant N] [--batch N]\n"
         "                   [--limit N] [--io-threads N]\n"
         "                   [--write-high-water N] [--backlog N]\n"
         "  Echoes every byte (read mode) or every line up to --limit bytes\n"
         "  (line mode; longer lines are dropped), with an actor (then-chains)\n"
         "  or a coroutine task per connection (--handler); or has each\n"
         "  connection push lines or chunks to its handler actor under credit\n"
         "  (push mode: --credit frames ahead, --grant at a time once drained,\n"
         "  0: never; --batch frames per message).\n"
         "  Defaults: --host 127.0.0.1 --port 8888 --mode read --handler actor\n"
         "  --framing lines --credit 16 --grant 8 --batch 1 --limit 65536\n"
         "  --io-threads 1 --write-high-water 65536 (drain waits above it,\n"
         "  until a quarter of it is left) --backlog 1024; --port 0 picks a\n"
         "  free port.\n";
}

/// Parses a whole decimal number in [min, max].
template <class T>
bool parse_number(std::string_view text, T min, T max, T& result) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(),
                                   value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min
      || value > max)
    return false;
  result = value;
  return true;
}

} // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  uint16_t port = 8888;
  bool lines = false;
  bool push = false;
  bool tasks = false;
  push_options pushing;
  as::server_options opts; // opts.limit: the reader's limit, 64 KiB
  // The raw Asio peer's backlog: 9,000 clients connecting at once overflow
  // asyncio's default of 100, and their retried SYNs then pace the start.
  opts.backlog = 1024;
  std::size_t io_threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      usage(std::cout);
      return EXIT_SUCCESS;
    }
    if (i + 1 >= argc) {
      std::cerr << "echo_server: missing value after " << arg << "\n";
      usage(std::cerr);
      return 2;
    }
    std::string_view value = argv[++i];
    bool ok = true;
    if (arg == "--host") {
      host = value;
    } else if (arg == "--port") {
      ok = parse_number<uint16_t>(value, 0, 65535, port);
    } else if (arg == "--mode") {
      lines = value == "line";
      push = value == "push";
      ok = lines || push || value == "read";
    } else if (arg == "--framing") {
      pushing.chunks = value == "chunks";
      ok = pushing.chunks || value == "lines";
    } else if (arg == "--credit") {
      ok = parse_number<std::size_t>(value, 0, 1 << 20, pushing.credit);
    } else if (arg == "--grant") {
      ok = parse_number<std::size_t>(value, 0, 1 << 20, pushing.grant);
    } else if (arg == "--batch") {
      ok = parse_number<std::size_t>(value, 1, 1 << 20, pushing.batch);
    } else if (arg == "--handler") {
      tasks = value == "task";
      ok = tasks || value == "actor";
    } else if (arg == "--limit") {
      ok = parse_number<std::size_t>(value, 1, SIZE_MAX, opts.limit);
    } else if (arg == "--io-threads") {
      ok = parse_number<std::size_t>(value, 1, 64, io_threads);
    } else if (arg == "--backlog") {
      ok = parse_number<int>(value, 1, 65535, opts.backlog);
    } else if (arg == "--write-high-water") {
      ok = parse_number<std::size_t>(value, 1, SIZE_MAX,
                                     opts.write_high_water);
      opts.write_low_water = opts.write_high_water / 4;
    } else {
      ok = false;
    }
    if (!ok) {
      std::cerr << "echo_server: bad argument: " << arg << " " << value << "\n";
      usage(std::cerr);
      return 2;
    }
  }
  if (push && pushing.grant > 0
      && (pushing.credit == 0 || pushing.credit < pushing.grant)) {
    std::cerr << "echo_server: --credit must be at least --grant (and "
                 "positive unless --grant 0): the handler grants only after "
                 "it has handled --grant frames\n";
    return 2;
  }
  // Block the stop signals before the runtime starts its threads: every
  // thread inherits the mask, so only sigwait below sees them and no work
  // happens in a signal handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  {
    as::config cfg;
    cfg.io_threads(io_threads);
    as::runtime rt{std::move(cfg)};
    auto srv
      = push
          ? as::start_server(
              rt.system(),
              [pushing](caf::event_based_actor* self, as::stream_reader r,
                        as::stream_writer w) {
                return echo_pushed(self, std::move(r), std::move(w), pushing);
              },
              host, port, opts)
              .get(std::chrono::seconds{10})
        : tasks ? as::start_server(rt.system(),
                                   lines ? echo_lines_task : echo_chunks_task,
                                   host, port, opts)
                    .get(std::chrono::seconds{10})
                : as::start_server(rt.system(), lines ? echo_lines : echo_chunks,
                                   host, port, opts)
                    .get(std::chrono::seconds{10});
    if (!srv) {
      std::cerr << "echo_server: cannot serve on " << host << ":" << port
                << ": " << as::describe(srv.error()) << std::endl;
      return EXIT_FAILURE;
    }
    std::string addresses;
    for (const auto& addr : srv->addresses())
      addresses += (addresses.empty() ? "" : ", ") + addr;
    std::cout << "Serving on " << addresses << std::endl;
    int sig = 0;
    sigwait(&stop_signals, &sig);
    // Stop accepting, close the clients and wait (bounded) for them.
    srv->close();
    srv->close_clients();
    if (auto done = srv->wait_closed().get(std::chrono::seconds{5}); !done)
      std::cerr << "echo_server: closing the server: "
                << as::describe(done.error()) << std::endl;
  } // the runtime shuts down here
  return EXIT_SUCCESS;
}
