#include "tools/sim/gun_files.h"

#include <cstdio>
#include <fstream>
#include <random>

namespace station::sim {

std::string WaybillFor(std::uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "ZT%013llu", static_cast<unsigned long long>(n % 10000000000000ULL));
  return buf;
}

std::string MakeGunFile(const GunFileSpec& spec) {
  static const char* kTypes[] = {"arrival", "out_for_delivery", "signed", "held", "unpack", "dispatch", "problem"};
  std::mt19937_64 rng(spec.seed);
  std::string text = "# device=" + spec.device + " courier=" + spec.courier + " station=" + spec.station +
                     " batch=" + spec.batch + "\n";
  text += "seq,waybill,type,time,peer_station,bag,weight_g,reason,note\n";
  text.reserve(text.size() + static_cast<std::size_t>(spec.rows) * 90);
  char line[256];
  for (int seq = 1; seq <= spec.rows; ++seq) {
    const char* type = kTypes[rng() % 7];
    std::string waybill = WaybillFor(rng());
    int minute = static_cast<int>(rng() % 60), second = static_cast<int>(rng() % 60);
    const char* peer = (type[0] == 'a' || type[0] == 'd') ? "310001" : "";
    const char* reason = type[0] == 'p' ? "wrong_phone" : "";
    const char* note = type[0] == 's' ? "本人签收" : (type[0] == 'p' ? "\"空号, 已联系寄件人\"" : "");
    std::snprintf(line, sizeof line, "%d,%s,%s,2026-11-24T%02d:%02d:%02d+08:00,%s,BG%010llu,%d,%s,%s\n", seq,
                  waybill.c_str(), type, 8 + static_cast<int>(rng() % 10), minute, second, peer,
                  static_cast<unsigned long long>(rng() % 10000000000ULL), static_cast<int>(100 + rng() % 20000),
                  reason, note);
    text += line;
  }
  return text;
}

Status WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".writing";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return Status::IOError("write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Status::IOError("rename " + tmp);
  return Status::OK();
}

}  // namespace station::sim
