#pragma once

// Helpers for the loopback tests (tiers 3 and 4): a slot that hands the
// server side of a connection to the test thread, temporary directories, raw
// POSIX sockets and byte patterns that make every misplaced byte visible.

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "test_support.hpp"

namespace actorstreams::testing {

/// A bounded wait for one reply on a loopback connection.
inline constexpr auto io_wait = std::chrono::seconds{5};

/// A bounded wait for a bulk transfer (megabytes in a Debug build).
inline constexpr auto bulk_wait = std::chrono::seconds{60};

/// Server-side connections, handed from a plain-callback handler (which runs
/// in the server actor) to the test thread.
class connection_slot {
public:
  void put(connection conn) {
    {
      std::lock_guard guard{mtx_};
      conns_.push_back(std::move(conn));
    }
    cv_.notify_all();
  }

  /// The next connection, or none after `timeout`.
  std::optional<connection> take(std::chrono::milliseconds timeout = io_wait) {
    std::unique_lock guard{mtx_};
    if (!cv_.wait_for(guard, timeout, [this] { return !conns_.empty(); }))
      return std::nullopt;
    auto conn = std::move(conns_.front());
    conns_.pop_front();
    return conn;
  }

  /// A plain-callback handler that puts each connection here.
  static auto handler(std::shared_ptr<connection_slot> slot) {
    return [slot](stream_reader reader, stream_writer writer) {
      slot->put(connection{std::move(reader), std::move(writer)});
    };
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<connection> conns_;
};

/// A directory from mkdtemp, removed with its contents.
class temp_dir {
public:
  temp_dir() {
    char tmpl[] = "/tmp/actorstreams-net-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr)
      ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    else
      path_ = tmpl;
  }

  ~temp_dir() {
    std::error_code ec;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ec);
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const { return path_; }

  std::string file(const std::string& name) const {
    return path_ + "/" + name;
  }

private:
  std::string path_;
};

/// A raw file descriptor, closed on destruction.
class raw_fd {
public:
  raw_fd() = default;

  explicit raw_fd(int fd) : fd_(fd) {
    // nop
  }

  raw_fd(raw_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {
    // nop
  }

  raw_fd& operator=(raw_fd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }

  ~raw_fd() { reset(); }

  int get() const { return fd_; }

  explicit operator bool() const { return fd_ >= 0; }

  int release() { return std::exchange(fd_, -1); }

  void reset(int fd = -1) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = fd;
  }

private:
  int fd_ = -1;
};

/// One step of echo_lines: reads a line, echoes it, goes on. No closure
/// refers to itself, so nothing is left behind if the actor is killed while
/// a read is pending (the callbacks die with the actor).
inline void echo_line_step(caf::event_based_actor* self, stream_reader in,
                           stream_writer out) {
  in.readline().then(
    self,
    [self, in, out](bytes line) {
      if (line.empty()) {
        out.close();
        self->quit();
        return;
      }
      out.write(std::move(line));
      echo_line_step(self, in, out);
    },
    [self, out](caf::error) {
      out.close();
      self->quit();
    });
}

/// A server handler: echoes lines until EOF, then closes.
inline caf::behavior echo_lines(caf::event_based_actor* self, stream_reader in,
                                stream_writer out) {
  echo_line_step(self, std::move(in), std::move(out));
  return {};
}

inline sockaddr_in ipv4_address(const char* ip, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &sa.sin_addr);
  return sa;
}

/// The port a socket is bound to.
inline uint16_t local_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    return 0;
  if (ss.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

/// A TCP socket bound to 127.0.0.1:`port` (0: a free one), listening unless
/// `listen` is false (then connects to it are refused while it holds the
/// port).
inline raw_fd raw_tcp_socket(uint16_t port, bool listen) {
  raw_fd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  auto sa = ipv4_address("127.0.0.1", port);
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0
      || (listen && ::listen(fd.get(), 16) != 0)) {
    ADD_FAILURE() << "raw socket on 127.0.0.1:" << port << ": "
                  << std::strerror(errno);
    return raw_fd{};
  }
  return fd;
}

/// A TCP socket bound to a free port of 127.0.0.1 with SO_REUSEPORT, not
/// listening: it holds the port for the test. No other process can bind it
/// (short of one of the same user that asks for this very port with
/// SO_REUSEPORT), but a server of the test started with `reuse_port` can
/// still listen there: while the holder is open, a refused connect to the
/// port proves that no such server listens.
inline raw_fd raw_tcp_port_holder() {
  raw_fd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  int on = 1;
  auto sa = ipv4_address("127.0.0.1", 0);
  if (!fd
      || ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0
      || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    ADD_FAILURE() << "port holder on 127.0.0.1: " << std::strerror(errno);
    return raw_fd{};
  }
  return fd;
}

/// Connects a blocking TCP socket to 127.0.0.1:`port`; on failure returns
/// an empty fd and leaves the reason in errno.
inline raw_fd raw_tcp_connect(uint16_t port) {
  raw_fd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  auto sa = ipv4_address("127.0.0.1", port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    int saved = errno;
    fd.reset();
    errno = saved;
  }
  return fd;
}

/// Accepts one connection on a raw listening socket, waiting at most
/// `timeout`.
inline raw_fd raw_accept(int listener,
                         std::chrono::milliseconds timeout = io_wait) {
  pollfd pfd{listener, POLLIN, 0};
  if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) {
    ADD_FAILURE() << "nothing to accept";
    return raw_fd{};
  }
  return raw_fd{::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC)};
}

/// What a raw socket reads once the peer is gone: "eof", "reset", the bytes
/// it read first ("data:..."), or "timeout" (after bytes: "data:...,
/// then timeout", so that an end that never came is not taken for one).
inline std::string raw_wait_end(int fd,
                                std::chrono::milliseconds timeout = io_wait) {
  std::string data;
  for (;;) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1)
      return data.empty() ? "timeout" : "data:" + data + ", then timeout";
    char buf[4096];
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n == 0)
      return data.empty() ? "eof" : "data:" + data;
    if (n < 0)
      return data.empty() ? (errno == ECONNRESET ? "reset"
                                                 : std::strerror(errno))
                          : "data:" + data;
    data.append(buf, static_cast<std::size_t>(n));
  }
}

/// Up to `n` bytes from a raw socket: fewer if it ends or `timeout` passes.
inline std::string raw_receive(int fd, std::size_t n,
                               std::chrono::milliseconds timeout = io_wait) {
  std::string data;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (data.size() < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    pollfd pfd{fd, POLLIN, 0};
    if (left.count() <= 0
        || ::poll(&pfd, 1, static_cast<int>(left.count())) != 1)
      break;
    char buf[4096];
    auto got = ::recv(fd, buf, std::min(sizeof(buf), n - data.size()), 0);
    if (got <= 0)
      break;
    data.append(buf, static_cast<std::size_t>(got));
  }
  return data;
}

/// Whether the peer closed `fd` (EOF or reset) within `timeout`, whatever
/// it sent first.
inline bool wait_closed_by_peer(int fd,
                                std::chrono::milliseconds timeout = io_wait) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) != 1)
      return false;
    char buf[4096];
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
      return true;
  }
}

/// A child process (a real peer: `openssl s_server`, ...) whose output is
/// read line by line; killed by its PID when it goes out of scope.
class child_process {
public:
  explicit child_process(const std::vector<std::string>& argv) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
      return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, out[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ)
        != 0)
      pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    out_ = out[0];
  }

  ~child_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0)
      ::close(out_);
  }

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  bool started() const { return pid_ > 0; }

  pid_t pid() const { return pid_; }

  /// Kills the process at once (SIGKILL: no goodbye to its peers) and
  /// reaps it.
  void kill_now() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  /// The first output line containing `needle`, within `timeout`; none if
  /// the output ended or the time ran out.
  std::optional<std::string> wait_for_line(const std::string& needle,
                                           std::chrono::milliseconds timeout
                                           = io_wait) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto nl = buffer_.find('\n');
      while (nl != std::string::npos) {
        auto line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        if (line.find(needle) != std::string::npos)
          return line;
        nl = buffer_.find('\n');
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return std::nullopt;
      pollfd pfd{out_, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) != 1)
        return std::nullopt;
      char buf[1024];
      auto n = ::read(out_, buf, sizeof(buf));
      if (n <= 0)
        return std::nullopt;
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
};

/// Whether ::1 can be bound here; the reason if not.
inline std::optional<std::string> ipv6_loopback_unavailable() {
  raw_fd fd{::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!fd)
    return std::string{"socket(AF_INET6): "} + std::strerror(errno);
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_addr = in6addr_loopback;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
    return std::string{"bind([::1]:0): "} + std::strerror(errno);
  return std::nullopt;
}

/// Whether anything (a file, a socket, a dangling link) is at `path`.
inline bool exists_path(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

/// The number of entries in /proc/self/fd (open descriptors).
inline std::size_t open_fd_count() {
  std::size_t n = 0;
  if (auto dir = ::opendir("/proc/self/fd")) {
    while (auto entry = ::readdir(dir))
      if (entry->d_name[0] != '.')
        ++n;
    ::closedir(dir);
    return n - 1; // the directory stream's own descriptor
  }
  ADD_FAILURE() << "cannot open /proc/self/fd";
  return 0;
}

/// Reads `n` bytes with read(64 KiB) requests (or fewer at EOF / error).
inline bytes read_n(const stream_reader& reader, std::size_t n,
                    std::chrono::seconds timeout = bulk_wait) {
  bytes out;
  out.reserve(n);
  while (out.size() < n) {
    auto chunk = reader.read(std::min<std::size_t>(n - out.size(), 65536))
                   .get(timeout);
    if (!chunk) {
      ADD_FAILURE() << "read failed after " << out.size()
                    << " bytes: " << describe(chunk.error());
      break;
    }
    if (chunk->empty()) {
      ADD_FAILURE() << "EOF after " << out.size() << " of " << n << " bytes";
      break;
    }
    out += *chunk;
  }
  return out;
}

/// Writes `data` in 64 KiB pieces, draining after each; the first error.
inline caf::error write_all(const stream_writer& writer, const bytes& data,
                            std::chrono::seconds timeout = bulk_wait) {
  constexpr std::size_t piece = 65536;
  for (std::size_t off = 0; off < data.size(); off += piece) {
    writer.write(data.substr(off, piece));
    if (auto ok = writer.drain().get(timeout); !ok)
      return std::move(ok.error());
  }
  return caf::error{};
}

/// Writes `text` to the file at `path`, replacing it.
inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << text;
}

/// What a child of `run_with_hosts` did.
struct child_outcome {
  /// Its exit code; 77: it cannot run here (no mount namespace).
  int exit_code = -1;
  /// What it said through `say`.
  std::string said;
  /// It did not exit within 30 s (and was killed).
  bool hung = false;
};

/// Runs `child` in a forked process that sees the file `hosts` as its
/// /etc/hosts (a bind mount in a private mount namespace, so that a test can
/// give one name several loopback addresses). `child` returns the exit code
/// and reports through `say`. Use only the Asio layer in the child (no actor
/// system): it is a fork of a multithreaded process. The child is reaped by
/// its PID (killed after 30 s).
inline child_outcome
run_with_hosts(const std::string& hosts,
               const std::function<int(const std::function<void(
                                         const std::string&)>& say)>& child) {
  child_outcome result;
  int report[2] = {-1, -1};
  if (::pipe2(report, O_CLOEXEC) != 0) {
    result.said = std::string{"pipe2: "} + std::strerror(errno);
    return result;
  }
  raw_fd from_child{report[0]};
  raw_fd to_parent{report[1]};
  auto pid = ::fork();
  if (pid < 0) {
    result.said = std::string{"fork: "} + std::strerror(errno);
    return result;
  }
  if (pid == 0) {
    int out = to_parent.get();
    auto say = [out](const std::string& text) {
      auto n = ::write(out, text.data(), text.size());
      static_cast<void>(n);
    };
    if (::unshare(CLONE_NEWNS) != 0
        && ::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
      say(std::string{"unshare(CLONE_NEWNS): "} + std::strerror(errno));
      ::_exit(77);
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0
        || ::mount(hosts.c_str(), "/etc/hosts", nullptr, MS_BIND, nullptr)
             != 0) {
      say(std::string{"bind-mounting /etc/hosts: "} + std::strerror(errno));
      ::_exit(77);
    }
    ::_exit(child(say));
  }
  to_parent.reset();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    pollfd pfd{from_child.get(), POLLIN, 0};
    if (left.count() <= 0
        || ::poll(&pfd, 1, static_cast<int>(left.count())) != 1)
      break;
    char buf[256];
    auto n = ::read(from_child.get(), buf, sizeof(buf));
    if (n <= 0)
      break;
    result.said.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  pid_t reaped = 0;
  for (int i = 0; i < 500 && reaped == 0; ++i) {
    reaped = ::waitpid(pid, &status, WNOHANG);
    if (reaped == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  if (reaped == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    result.hung = true;
    return result;
  }
  if (reaped == pid && WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  return result;
}

/// Checks how a `run_with_hosts` child ended: it says `expected` and exits
/// 0; a child that cannot run here (77) skips the test, loudly.
inline void expect_child_said(const child_outcome& child,
                              const std::string& expected) {
  ASSERT_FALSE(child.hung) << "the child hung; it said: " << child.said;
  if (child.exit_code == 77)
    GTEST_SKIP() << "!!! SKIPPED: cannot give two loopback addresses one "
                    "name here: "
                 << child.said << " !!!";
  EXPECT_EQ(child.exit_code, 0) << child.said;
  EXPECT_EQ(child.said, expected);
}

} // namespace actorstreams::testing
