// Without libFuzzer (the normal build, any compiler): runs every input of
// the given files and directories through the target once, so that the
// checked-in corpus and every crash found so far stay fixed (`make test`
// runs it as fuzz.<target>.corpus). make fuzz builds the real fuzzer.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size);

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    fs::path arg{argv[i]};
    if (fs::is_directory(arg)) {
      for (const auto& entry : fs::directory_iterator{arg})
        if (entry.is_regular_file())
          inputs.push_back(entry.path());
    } else {
      inputs.push_back(arg);
    }
  }
  if (inputs.empty()) {
    std::cerr << argv[0] << ": no inputs (give corpus files or directories)\n";
    return 2;
  }
  for (const auto& path : inputs) {
    std::ifstream in{path, std::ios::binary};
    std::string data{std::istreambuf_iterator<char>{in}, {}};
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()),
                           data.size());
  }
  std::cout << argv[0] << ": " << inputs.size() << " inputs, no failure\n";
  return 0;
}
