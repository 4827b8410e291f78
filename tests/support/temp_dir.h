#pragma once
// A fresh folder for one test, removed with everything in it afterwards
// (kept when STATION_KEEP_TEST_DIRS is set, for post-mortems).

#include <string>

namespace station::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Path(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace station::test
