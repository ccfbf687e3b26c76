#include "actors/io_unit.hpp"

#include <utility>

#include <asio/post.hpp>

#include <caf/actor_system.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include "net/internal/io.hpp"

namespace actorstreams {

namespace {

/// The reference a scheduled resume holds. Released if the job never runs
/// (the context stopped first), so that no actor leaks.
class job_ref {
public:
  explicit job_ref(caf::resumable* ptr) noexcept : ptr_(ptr) {
    // nop
  }

  job_ref(job_ref&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {
    // nop
  }

  job_ref& operator=(job_ref&&) = delete;

  ~job_ref() {
    if (ptr_)
      intrusive_ptr_release(ptr_);
  }

  caf::resumable* release() noexcept {
    return std::exchange(ptr_, nullptr);
  }

private:
  caf::resumable* ptr_;
};

} // namespace

io_unit::io_unit(caf::actor_system& sys, net::io_threads& io,
                 std::size_t index)
  : caf::execution_unit(&sys), io_(io), index_(index) {
  // nop
}

bool io_unit::on_thread() const noexcept {
  auto here = io_.this_thread_index();
  return here && *here == index_;
}

void io_unit::exec_later(caf::resumable* ptr) {
  if (ptr->subtype() != caf::resumable::io_actor) {
    system().scheduler().enqueue(ptr);
    return;
  }
  queued_.fetch_add(1, std::memory_order_relaxed);
  asio::post(net::context_of(io_, index_),
             [this, job = job_ref{ptr}]() mutable { resume(job.release()); });
}

void io_unit::flush_later(net::transport_ptr transport) {
  // The same transport twice in a row (one connection, several
  // activations) is common; further duplicates flush nothing the 2nd time.
  if (to_flush_.empty() || to_flush_.back() != transport)
    to_flush_.push_back(std::move(transport));
  if (!flush_armed_) {
    flush_armed_ = true;
    flush_rounds_ = 0;
    post_flush();
  }
}

void io_unit::post_flush() {
  asio::post(net::context_of(io_, index_), [this] {
    // Actors are still to run on this thread: they may write more (the
    // next reply of a pipelined exchange). Let them, behind them.
    if (queued_.load(std::memory_order_relaxed) > 0
        && ++flush_rounds_ < max_flush_rounds) {
      post_flush();
      return;
    }
    flush_armed_ = false;
    auto batch = std::move(to_flush_);
    to_flush_.clear();
    for (auto& transport : batch)
      transport->flush();
  });
}

void io_unit::resume(caf::resumable* ptr) {
  queued_.fetch_sub(1, std::memory_order_relaxed);
  auto result = [&] {
    scope running{this};
    return ptr->resume(this, max_throughput);
  }();
  switch (result) {
    case caf::resumable::resume_later:
      // Behind what the sockets reported meanwhile.
      exec_later(ptr);
      break;
    default:
      // done, awaiting_message, shutdown_execution_unit: the job's
      // reference goes (an awaiting actor is rescheduled by its next
      // message, with a reference of its own).
      intrusive_ptr_release(ptr);
  }
}

} // namespace actorstreams
