#include "tests/support/gun_files.h"

#include <filesystem>
#include <stdexcept>

#include "tests/support/station_process.h"

namespace station::test {

void WriteFileAtomically(const std::string& path, const std::string& text) {
  if (Status s = sim::WriteFileAtomically(path, text); !s.ok()) throw std::runtime_error(s.ToString());
}

std::string GunFileWith(const std::string& device, const std::string& batch, const std::vector<std::string>& rows) {
  std::string text = "# device=" + device + " courier=C1001 station=571001 batch=" + batch +
                     "\nseq,waybill,type,time,peer_station,bag,weight_g,reason,note\n";
  int seq = 0;
  for (const std::string& r : rows) text += std::to_string(++seq) + "," + r + "\n";
  return text;
}

int DockText(const std::string& endpoint, const std::string& spool_dir, const std::string& name,
             const std::string& text) {
  std::filesystem::create_directories(spool_dir);
  WriteFileAtomically(spool_dir + "/" + name + ".csv", text);
  return DockOnce(endpoint, spool_dir, std::chrono::seconds(30));
}

std::string ThreeScans(const std::string& device, const std::string& batch, int first) {
  std::vector<std::string> rows;
  for (int i = 0; i < 3; ++i) rows.push_back(WaybillFor(first + i) + ",arrival,2026-12-01T08:00:00+08:00,,,,,");
  return GunFileWith(device, batch, rows);
}

}  // namespace station::test
