// A user's program: an in-memory reader, a line, a clean exit.
#include <streams/all.hpp>

#include <iostream>

int main() {
  actorstreams::runtime rt;
  auto reader = actorstreams::make_stream_reader(rt.system());
  reader.feed_data("consumer works\n");
  auto line = reader.readline().get(std::chrono::seconds{2});
  if (!line || *line != "consumer works\n") {
    std::cerr << "unexpected result\n";
    return 1;
  }
  std::cout << *line;
  return 0;
}
