#include "net/fault_transport.hpp"

#include <string>
#include <utility>

namespace actorstreams::net {

namespace {

/// What the wrapper and its relay share: the plan, the counts so far and
/// the injected error, if any. Touched on the transport's I/O thread only.
struct fault_state {
  explicit fault_state(fault_plan p) : plan(p) {
    // nop
  }

  /// Counts one operation of a kind; true if it is the one to fail.
  bool hits(std::size_t& count, std::size_t at) {
    return at != 0 && ++count == at;
  }

  /// Fails the transport with `code`: aborts the inner one, whose
  /// connection_lost then carries this error.
  void inject(stream_errc code, const std::string& what) {
    if (injected)
      return;
    injected = make_error(code, "injected fault: " + what);
    if (auto tr = inner.lock())
      tr->abort();
  }

  fault_plan plan;
  std::size_t reads = 0;
  std::size_t writes = 0;
  std::size_t closes = 0;
  caf::error injected;
  std::shared_ptr<protocol> events;
  std::weak_ptr<transport> inner;
};

/// Sits between the inner transport and the real protocol.
class fault_relay : public protocol {
public:
  explicit fault_relay(std::shared_ptr<fault_state> st) : st_(std::move(st)) {
    // nop
  }

  void connection_made() override {
    if (st_->plan.connect != 0) {
      st_->inject(stream_errc::connect_failed, "connect");
      return;
    }
    if (st_->plan.handshake != 0) {
      st_->inject(stream_errc::tls_error, "TLS handshake");
      return;
    }
    st_->events->connection_made();
  }

  void data_received(bytes data) override {
    if (st_->injected)
      return;
    if (st_->hits(st_->reads, st_->plan.read)) {
      st_->inject(st_->plan.error,
                  "read " + std::to_string(st_->reads) + " ("
                    + std::to_string(data.size()) + " bytes dropped)");
      return;
    }
    st_->events->data_received(std::move(data));
  }

  void eof_received() override {
    if (!st_->injected)
      st_->events->eof_received();
  }

  void resume_writing() override {
    if (!st_->injected)
      st_->events->resume_writing();
  }

  void connection_lost(caf::error reason) override {
    st_->events->connection_lost(st_->injected ? st_->injected
                                               : std::move(reason));
  }

  void tls_started(caf::error reason) override {
    st_->events->tls_started(std::move(reason));
  }

private:
  std::shared_ptr<fault_state> st_;
};

class fault_transport : public transport {
public:
  fault_transport(transport_ptr inner, fault_plan plan)
    : inner_(std::move(inner)), st_(std::make_shared<fault_state>(plan)) {
    st_->inner = inner_;
  }

  void start(std::shared_ptr<protocol> events) override {
    st_->events = std::move(events);
    inner_->start(std::make_shared<fault_relay>(st_));
  }

  std::size_t write(bytes data) override {
    if (st_->injected)
      return 0;
    if (st_->hits(st_->writes, st_->plan.write)) {
      st_->inject(st_->plan.error, "write " + std::to_string(st_->writes)
                                     + " (" + std::to_string(data.size())
                                     + " bytes not sent)");
      return 0;
    }
    return inner_->write(std::move(data));
  }

  void flush() override {
    inner_->flush();
  }

  std::size_t affinity() const override {
    return inner_->affinity();
  }

  void notify_writable(std::size_t low) override {
    inner_->notify_writable(low);
  }

  bool can_write() const override {
    return inner_->can_write();
  }

  bool can_write_eof() const override {
    return inner_->can_write_eof();
  }

  void write_eof() override {
    inner_->write_eof();
  }

  void pause_reading() override {
    inner_->pause_reading();
  }

  void resume_reading() override {
    inner_->resume_reading();
  }

  void consumed(std::size_t n) override {
    inner_->consumed(n);
  }

  void close() override {
    // May come from another thread (transport.hpp): the count is then
    // racy, so close faults are for the owner's own closes.
    if (st_->hits(st_->closes, st_->plan.close)) {
      st_->inject(st_->plan.error, "close " + std::to_string(st_->closes));
      return;
    }
    inner_->close();
  }

  void abort() override {
    inner_->abort();
  }

  std::optional<bytes> extra_info(std::string_view name) const override {
    return inner_->extra_info(name);
  }

  caf::error start_tls(tls_options opts) override {
    return inner_->start_tls(std::move(opts));
  }

private:
  transport_ptr inner_;
  std::shared_ptr<fault_state> st_;
};

} // namespace

transport_ptr inject_faults(transport_ptr inner, fault_plan plan) {
  if (!inner || !plan.any())
    return inner;
  return std::make_shared<fault_transport>(std::move(inner), plan);
}

} // namespace actorstreams::net
