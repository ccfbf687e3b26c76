// remote_latency: what a remote read costs, beside the floor it rides on.
//
// Two nodes on loopback (two processes: this one starts its peer and stops
// it by PID). The peer publishes, through CAF's middleman,
//   - an echo actor (int64 -> int64): a bare CAF remote request/reply, the
//     floor of any remote call;
//   - a connection (an in-memory reader full of short lines).
// This node then measures, one request at a time from one actor:
//   1. bare CAF request/reply to the remote echo actor,
//   2. readline on the remote connection (actorstreams over the middleman),
//   3. readline on a local connection (the same work without the wire),
// and prints the median, p90 and p99 round trip of each, and the ratio of
// the remote readline to the bare round trip (docs/distributed.md).
//
// Usage: remote_latency [--rounds N]   (default 20000 per measurement)
//        remote_latency --serve LINES  (the peer; started by the above)

#include <streams/all.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <iostream>
#include <string>
#include <vector>

#include <caf/io/middleman.hpp>
#include <csignal>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace as = actorstreams;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

extern char** environ;

namespace {

using get_atom = caf::atom_constant<caf::atom("get")>;

/// The peer's directory: the echo actor and the connection.
caf::behavior directory(caf::event_based_actor* self, std::size_t lines) {
  auto echo = self->spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](int64_t x) { return x; }};
  });
  auto reader = as::make_stream_reader(self->system(), 1 << 20);
  // Fed in pieces: one read buffer, no giant message.
  constexpr std::size_t per_piece = 4096;
  for (std::size_t fed = 0; fed < lines; fed += per_piece) {
    std::string piece;
    for (std::size_t i = fed; i < std::min(lines, fed + per_piece); ++i)
      piece += "line-of-16-byte\n";
    reader.feed_data(std::move(piece));
  }
  return {
    [echo](get_atom, int) { return echo; },
    [reader](get_atom, const std::string&) {
      return as::connection{reader, as::stream_writer{reader.handle()}};
    },
  };
}

int serve(std::size_t lines) {
  as::runtime rt;
  auto& sys = rt.system();
  auto dir = sys.spawn(directory, lines);
  auto port = sys.middleman().publish(dir, 0, "127.0.0.1");
  if (!port) {
    std::cerr << "publish: " << sys.render(port.error()) << std::endl;
    return 1;
  }
  std::cout << *port << std::endl;
  pause(); // until the measuring node kills us
  return 0;
}

/// Round trips, one at a time from one actor: `step(self, done)` starts one
/// and calls `done()` when it is answered.
template <class Step>
std::vector<double> measure(caf::actor_system& sys, std::size_t rounds,
                            Step step) {
  auto result = std::make_shared<std::promise<std::vector<double>>>();
  auto fut = result->get_future();
  sys.spawn([rounds, step, result](caf::event_based_actor* self) {
    auto times = std::make_shared<std::vector<double>>();
    times->reserve(rounds);
    auto next = std::make_shared<std::function<void()>>();
    *next = [=] {
      if (times->size() == rounds) {
        result->set_value(std::move(*times));
        *next = nullptr; // break the cycle
        return;
      }
      auto start = steady::now();
      step(self, [=] {
        times->push_back(
          std::chrono::duration<double, std::micro>(steady::now() - start)
            .count());
        (*next)();
      });
    };
    (*next)();
  });
  return fut.get();
}

struct summary {
  double median, p90, p99;
};

summary summarize(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  auto at = [&](double q) {
    return xs[std::min(xs.size() - 1, static_cast<std::size_t>(q * xs.size()))];
  };
  return {at(0.5), at(0.9), at(0.99)};
}

void print(const char* what, const summary& s) {
  std::printf("%-40s median %7.1f us   p90 %7.1f us   p99 %7.1f us\n", what,
              s.median, s.p90, s.p99);
}

} // namespace

int main(int argc, char** argv) {
  std::size_t rounds = 20000;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--serve" && i + 1 < argc)
      return serve(std::stoul(argv[i + 1]));
    if (arg == "--rounds" && i + 1 < argc)
      rounds = std::stoul(argv[++i]);
    else {
      std::cerr << "usage: remote_latency [--rounds N]" << std::endl;
      return 2;
    }
  }
  // The peer node, with lines enough for the warm-up and the measurement.
  auto lines = std::to_string(3 * rounds + 1000);
  int out[2];
  if (pipe(out) != 0)
    return 1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::string self_path = "/proc/self/exe";
  std::vector<char*> args{argv[0], const_cast<char*>("--serve"),
                          lines.data(), nullptr};
  pid_t peer = -1;
  if (posix_spawn(&peer, self_path.c_str(), &actions, nullptr, args.data(),
                  environ)
      != 0) {
    std::cerr << "cannot start the peer node" << std::endl;
    return 1;
  }
  close(out[1]);
  std::string port_text;
  char ch;
  while (read(out[0], &ch, 1) == 1 && ch != '\n')
    port_text += ch;
  int status = 0;
  {
    as::runtime rt;
    auto& sys = rt.system();
    auto dir = sys.middleman().remote_actor("127.0.0.1",
                                            static_cast<uint16_t>(
                                              std::stoi(port_text)));
    if (!dir) {
      std::cerr << "remote_actor: " << sys.render(dir.error()) << std::endl;
      status = 1;
    } else {
      auto echo = *as::request<caf::actor>(*dir, get_atom::value, 0).get(10s);
      auto remote = *as::request<as::connection>(*dir, get_atom::value,
                                                  std::string{"lines"})
                       .get(10s);
      // The local reader: the same 16-byte lines as over there.
      std::string text;
      for (std::size_t i = 0; i < 2 * rounds + 1000; ++i)
        text += "line-of-16-byte\n";
      auto local = as::make_stream_reader(sys, 1 << 20);
      local.feed_data(std::move(text));

      auto bare = [echo](caf::event_based_actor* self, auto done) {
        self->request(echo, caf::infinite, int64_t{42})
          .then([done](int64_t) { done(); });
      };
      auto readline_of = [](as::stream_reader r) {
        return [r](caf::event_based_actor* self, auto done) {
          r.readline().then(self, [done](as::bytes) { done(); },
                            [](caf::error err) {
                              std::cerr << as::describe(err) << std::endl;
                            });
        };
      };
      // Warm-up, then the measurements, alternating twice to even out drift.
      measure(sys, rounds / 10, bare);
      measure(sys, rounds / 10, readline_of(remote.reader));
      std::vector<double> t_bare, t_remote, t_local;
      for (int pass = 0; pass < 2; ++pass) {
        auto b = measure(sys, rounds / 2, bare);
        auto r = measure(sys, rounds / 2, readline_of(remote.reader));
        auto l = measure(sys, rounds / 2, readline_of(local));
        t_bare.insert(t_bare.end(), b.begin(), b.end());
        t_remote.insert(t_remote.end(), r.begin(), r.end());
        t_local.insert(t_local.end(), l.begin(), l.end());
      }
      auto sb = summarize(t_bare);
      auto sr = summarize(t_remote);
      auto sl = summarize(t_local);
      std::printf("remote_latency: %zu round trips each, one at a time, "
                  "two nodes on 127.0.0.1\n",
                  rounds);
      print("bare CAF request/reply (remote)", sb);
      print("readline (remote connection)", sr);
      print("readline (local connection)", sl);
      std::printf("remote readline / bare CAF round trip: median %.2fx, "
                  "p90 %.2fx, p99 %.2fx\n",
                  sr.median / sb.median, sr.p90 / sb.p90, sr.p99 / sb.p99);
    }
  }
  kill(peer, SIGKILL);
  waitpid(peer, nullptr, 0);
  return status;
}
