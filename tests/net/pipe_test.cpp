#include "streams/connection.hpp"

// Tier 4: open_pipe_connection over a child process's stdin and stdout.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <thread>
#include <vector>

#include "net_support.hpp"

namespace actorstreams {
namespace {

using namespace std::chrono_literals;
using testing::code_of;
using testing::error_of;
using testing::io_wait;
using testing::value_of;

/// A child process running `argv`, with pipes to its stdin and from its
/// stdout (either may be skipped). Killed (if still running) and reaped on
/// destruction, by its PID.
class child_process {
public:
  child_process(std::vector<const char*> argv, bool pipe_stdin,
                bool pipe_stdout) {
    int in[2] = {-1, -1};
    int out[2] = {-1, -1};
    if ((pipe_stdin && ::pipe2(in, O_CLOEXEC) != 0)
        || (pipe_stdout && ::pipe2(out, O_CLOEXEC) != 0)) {
      ADD_FAILURE() << "pipe2: " << std::strerror(errno);
      return;
    }
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      // The child: only async-signal-safe calls until exec.
      if (in[0] >= 0)
        ::dup2(in[0], STDIN_FILENO);
      if (out[1] >= 0)
        ::dup2(out[1], STDOUT_FILENO);
      ::execv(argv[0], const_cast<char* const*>(argv.data()));
      ::_exit(127);
    }
    if (pid_ < 0)
      ADD_FAILURE() << "fork: " << std::strerror(errno);
    if (in[0] >= 0)
      ::close(in[0]);
    if (out[1] >= 0)
      ::close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
  }

  ~child_process() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// The parent's end of the child's stdin (ownership goes to whoever
  /// adopts it).
  int stdin_fd() const { return stdin_; }

  /// The parent's end of the child's stdout.
  int stdout_fd() const { return stdout_; }

  /// The exit status once the child exited within `timeout`, else none.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = io_wait) {
    if (status_)
      return status_;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      auto r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        status_ = status;
        return status_;
      }
      if (r < 0 || std::chrono::steady_clock::now() >= deadline)
        return std::nullopt;
      std::this_thread::sleep_for(5ms);
    }
  }

private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::optional<int> status_;
};

bool exited_with(std::optional<int> status, int code) {
  return status && WIFEXITED(*status) && WEXITSTATUS(*status) == code;
}

class Pipe : public testing::runtime_test {};

TEST_F(Pipe, LinesWrittenToCatComeBackAndWriteEofMakesItExit) {
  child_process cat{{"/bin/cat"}, true, true};
  auto conn = value_of(
    open_pipe_connection(sys(), cat.stdout_fd(), cat.stdin_fd()).get(io_wait));
  EXPECT_EQ(value_of(conn.writer.get_extra_info("pipe").get(io_wait)),
            std::to_string(cat.stdout_fd()) + ","
              + std::to_string(cat.stdin_fd()));
  conn.writer.write("one\n");
  EXPECT_EQ(value_of(conn.reader.readline().get(io_wait)), "one\n");
  conn.writer.writelines({"two\n", bytes{"\0\xff\n", 3}});
  EXPECT_EQ(value_of(conn.reader.readline().get(io_wait)), "two\n");
  EXPECT_EQ(value_of(conn.reader.readline().get(io_wait)),
            (bytes{"\0\xff\n", 3}));
  EXPECT_TRUE(value_of(conn.writer.can_write_eof().get(io_wait)));
  conn.writer.write("last, no newline");
  conn.writer.write_eof();
  // cat sees EOF on its stdin, echoes the rest and exits: EOF here.
  EXPECT_EQ(value_of(conn.reader.read().get(io_wait)), "last, no newline");
  EXPECT_TRUE(value_of(conn.reader.at_eof().get(io_wait)));
  EXPECT_TRUE(exited_with(cat.wait_exit(), 0));
  conn.writer.close();
  EXPECT_TRUE(conn.writer.wait_closed().get(io_wait));
}

TEST_F(Pipe, AReadOnlyPipeReadsAChildsOutputToEof) {
  child_process echo{{"/bin/echo", "hello from a child"}, false, true};
  auto conn = value_of(
    open_pipe_connection(sys(), echo.stdout_fd(), -1).get(io_wait));
  EXPECT_EQ(value_of(conn.reader.read().get(io_wait)),
            "hello from a child\n");
  EXPECT_FALSE(value_of(conn.writer.can_write_eof().get(io_wait)));
  EXPECT_TRUE(exited_with(echo.wait_exit(), 0));
}

TEST_F(Pipe, AWriteOnAReadOnlyPipeIsDroppedAndReadingGoesOnToEof) {
  // The child answers only once the test feeds its stdin itself, so the
  // dropped write has reached the transport long before there is anything
  // to read.
  child_process sh{{"/bin/sh", "-c", "read line; echo \"got $line\""}, true,
                   true};
  testing::raw_fd to_child{sh.stdin_fd()};
  auto conn = value_of(
    open_pipe_connection(sys(), sh.stdout_fd(), -1).get(io_wait));
  conn.writer.write("nowhere to go\n");
  conn.writer.writelines({"nor this\n"});
  // A request behind the writes: the actor has handed them to the transport.
  EXPECT_FALSE(value_of(conn.writer.is_closing().get(io_wait)));
  ASSERT_EQ(::write(to_child.get(), "ping\n", 5), 5);
  to_child.reset();
  EXPECT_EQ(value_of(conn.reader.read().get(io_wait)), "got ping\n");
  EXPECT_TRUE(value_of(conn.reader.at_eof().get(io_wait)));
  EXPECT_TRUE(exited_with(sh.wait_exit(), 0));
  EXPECT_FALSE(value_of(conn.writer.is_closing().get(io_wait)));
  conn.writer.close();
  EXPECT_TRUE(conn.writer.wait_closed().get(io_wait));
}

TEST_F(Pipe, GetExtraInfoOnAReadOnlyPipeGivesTheReadFdAndFailsForTheWriteFd) {
  child_process echo{{"/bin/echo", "info"}, false, true};
  auto fd = std::to_string(echo.stdout_fd());
  auto conn = value_of(
    open_pipe_connection(sys(), echo.stdout_fd(), -1).get(io_wait));
  EXPECT_EQ(value_of(conn.writer.get_extra_info("read_fd").get(io_wait)), fd);
  EXPECT_EQ(value_of(conn.writer.get_extra_info("pipe").get(io_wait)),
            fd + ",");
  auto err = error_of(conn.writer.get_extra_info("write_fd").get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument) << describe(err);
  // Asking for the missing end did not create it.
  EXPECT_EQ(code_of(error_of(conn.writer.get_extra_info("write_fd")
                               .get(io_wait))),
            stream_errc::invalid_argument);
  EXPECT_EQ(value_of(conn.reader.read().get(io_wait)), "info\n");
  EXPECT_TRUE(exited_with(echo.wait_exit(), 0));
}

TEST_F(Pipe, OneSocketAsBothEndsWorksBothWaysAndClosingClosesIt) {
  int sv[2] = {-1, -1};
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0)
    << std::strerror(errno);
  int fd = sv[0]; // the connection owns it from here
  testing::raw_fd peer{sv[1]};
  auto conn = value_of(open_pipe_connection(sys(), fd, fd).get(io_wait));
  EXPECT_EQ(value_of(conn.writer.get_extra_info("read_fd").get(io_wait)),
            std::to_string(fd));
  auto write_fd = value_of(conn.writer.get_extra_info("write_fd").get(io_wait));
  EXPECT_NE(write_fd, std::to_string(fd)) << "the write side is not a dup";
  EXPECT_FALSE(write_fd.empty());
  // The peer echoes what it reads, byte for byte.
  auto echo = [&peer](std::size_t n) {
    std::string got;
    while (got.size() < n) {
      pollfd pfd{peer.get(), POLLIN, 0};
      if (::poll(&pfd, 1, 5000) != 1)
        break;
      char buf[256];
      auto r = ::recv(peer.get(), buf, std::min(sizeof(buf), n - got.size()),
                      0);
      if (r <= 0)
        break;
      got.append(buf, static_cast<std::size_t>(r));
    }
    if (!got.empty()) {
      EXPECT_EQ(::send(peer.get(), got.data(), got.size(), MSG_NOSIGNAL),
                static_cast<ssize_t>(got.size()));
    }
    return got;
  };
  const bytes binary{"\0\xff-two\n", 7};
  conn.writer.write("one\n");
  EXPECT_EQ(echo(4), "one\n");
  EXPECT_EQ(value_of(conn.reader.readline().get(io_wait)), "one\n");
  conn.writer.writelines({binary, "three\n"});
  EXPECT_EQ(echo(binary.size() + 6), binary + "three\n");
  EXPECT_EQ(value_of(conn.reader.readline().get(io_wait)), binary);
  EXPECT_EQ(value_of(conn.reader.readline().get(io_wait)), "three\n");
  conn.writer.write("bye");
  conn.writer.close();
  EXPECT_TRUE(conn.writer.wait_closed().get(io_wait));
  // Both the caller's fd and the dup are closed: the peer sees EOF only
  // once no descriptor of its socket is open. (Checking the fd number with
  // fcntl would race: another thread may reuse it at once.)
  EXPECT_EQ(testing::raw_wait_end(peer.get()), "data:bye");
}

TEST_F(Pipe, WriteEofOnOneSocketAsBothEndsSendsFinAndReadingGoesOn) {
  // The write side is a dup of the read side: closing it alone would leave
  // the socket open, so write_eof must shut the socket's sending side down.
  int sv[2] = {-1, -1};
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0)
    << std::strerror(errno);
  int fd = sv[0];
  testing::raw_fd peer{sv[1]};
  auto conn = value_of(open_pipe_connection(sys(), fd, fd).get(io_wait));
  EXPECT_TRUE(value_of(conn.writer.can_write_eof().get(io_wait)));
  conn.writer.write("last words");
  conn.writer.write_eof();
  EXPECT_EQ(testing::raw_wait_end(peer.get()), "data:last words");
  // The other direction is still open: the peer answers, then ends too.
  ASSERT_EQ(::send(peer.get(), "reply\n", 6, MSG_NOSIGNAL), 6);
  EXPECT_EQ(value_of(conn.reader.readline().get(io_wait)), "reply\n");
  ::shutdown(peer.get(), SHUT_WR);
  EXPECT_EQ(value_of(conn.reader.read(-1).get(io_wait)), "");
  conn.writer.close();
  EXPECT_TRUE(conn.writer.wait_closed().get(io_wait));
}

TEST_F(Pipe, AnUnusableWriteFdFailsWithInvalidArgumentAndLeavesBothToTheCaller) {
  int p[2] = {-1, -1};
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0) << std::strerror(errno);
  testing::raw_fd rd{p[0]};
  testing::raw_fd wr{p[1]};
  // Far above any descriptor limit in use: never open, even by another
  // thread meanwhile.
  constexpr int never_open = 1 << 30;
  auto err = error_of(
    open_pipe_connection(sys(), rd.get(), never_open).get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument) << describe(err);
  err = error_of(
    open_pipe_connection(sys(), never_open, wr.get()).get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::invalid_argument) << describe(err);
  // Both ends are still open, ours and working.
  ASSERT_NE(::fcntl(rd.get(), F_GETFD), -1) << "the read end was closed";
  ASSERT_NE(::fcntl(wr.get(), F_GETFD), -1) << "the write end was closed";
  ASSERT_EQ(::write(wr.get(), "still ours", 10), 10);
  char buf[16] = {};
  EXPECT_EQ(::read(rd.get(), buf, sizeof(buf)), 10);
  EXPECT_EQ(std::string(buf), "still ours");
  // And usable for a connection afterwards.
  auto conn = value_of(
    open_pipe_connection(sys(), rd.release(), wr.release()).get(io_wait));
  conn.writer.write("through\n");
  EXPECT_EQ(value_of(conn.reader.readline().get(io_wait)), "through\n");
}

TEST_F(Pipe, WritingToAPipeWhoseReaderExitedFailsWithConnectionResetNotSigpipe) {
  child_process gone{{"/bin/true"}, true, false};
  ASSERT_TRUE(exited_with(gone.wait_exit(), 0));
  // The child's stdin had no reader left once it exited.
  auto conn = value_of(
    open_pipe_connection(sys(), -1, gone.stdin_fd()).get(io_wait));
  conn.writer.write("nobody reads this\n");
  // Had SIGPIPE not been suppressed, the process would have died here.
  auto err = error_of(conn.writer.wait_closed().get(io_wait));
  EXPECT_EQ(code_of(err), stream_errc::connection_reset) << describe(err);
  EXPECT_EQ(code_of(error_of(conn.writer.drain().get(io_wait))),
            stream_errc::connection_reset);
  EXPECT_TRUE(value_of(conn.writer.is_closing().get(io_wait)));
}

} // namespace
} // namespace actorstreams
