#include "dock/spool.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace station {
namespace fs = std::filesystem;

Result<Spool> Spool::Open(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::InvalidArgument("--spool " + dir, "not a folder");
  for (const char* sub : {"done", "rejected"}) {
    fs::create_directories(fs::path(dir) / sub, ec);
    if (ec) return Status::IOError("create " + (fs::path(dir) / sub).string(), ec.message());
  }
  return Spool(dir);
}

std::vector<std::string> Spool::Waiting() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    std::string name = entry.path().filename().string();
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".csv") == 0 && name[0] != '.') names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::string> Spool::Read(const std::string& name) const {
  std::ifstream in(fs::path(dir_) / name, std::ios::binary);
  if (!in) return Status::IOError("read " + (fs::path(dir_) / name).string(), "cannot open");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Status Spool::MoveInto(const std::string& sub, const std::string& name, const std::string& side_suffix,
                       const std::string& side_text) {
  fs::path target = fs::path(dir_) / sub / name;
  std::error_code ec;
  for (int n = 2; fs::exists(target, ec); ++n) target = fs::path(dir_) / sub / (name + "." + std::to_string(n));
  {
    // The side file first: if we die between the two steps the batch is
    // still in the spool and is simply sent again.
    std::ofstream side(target.string() + side_suffix, std::ios::trunc);
    side << side_text << "\n";
    if (!side) return Status::IOError("write " + target.string() + side_suffix);
  }
  fs::rename(fs::path(dir_) / name, target, ec);
  if (ec) return Status::IOError("move " + name + " to " + sub + "/", ec.message());
  return Status::OK();
}

Status Spool::MarkDone(const std::string& name, const std::string& ack_json) {
  return MoveInto("done", name, ".ack.json", ack_json);
}

Status Spool::MarkRejected(const std::string& name, const std::string& why) {
  return MoveInto("rejected", name, ".why", why);
}

}  // namespace station
