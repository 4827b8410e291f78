#include "security/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace station::security {
namespace {

constexpr const char* kSecretSuffix = ".key_secret";
constexpr const char* kPublicSuffix = ".key";

std::string Trim(std::string s) {
  const char* space = " \t\r";
  s.erase(0, s.find_first_not_of(space));
  s.erase(s.find_last_not_of(space) + 1);
  return s;
}

// "name = value" and "name = \"value\"" lines; comments (#) and blank lines skipped.
Result<std::map<std::string, std::string>> ReadKeyFields(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("key file " + path, std::strerror(errno));
  std::map<std::string, std::string> fields;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (number > 100 || line.size() > 1000) {
      return Status::InvalidArgument("key file " + path, "too long to be a key file");
    }
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) {
      return Status::InvalidArgument("key file " + path, "line " + std::to_string(number) + " is not 'name = value'");
    }
    std::string value = Trim(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    fields[Trim(line.substr(0, eq))] = value;
  }
  return fields;
}

Status WriteNewFile(const std::string& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) return Status::Conflict("key file " + path, "exists already; not overwritten");
    return Status::IOError("key file " + path, std::strerror(errno));
  }
  // The umask may have narrowed the mode; a public key must stay readable
  // and a secret one must never be widened, so set it exactly.
  const bool ok = ::fchmod(fd, mode) == 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return Status::IOError("key file " + path, std::strerror(saved));
  }
  return Status::OK();
}

}  // namespace

Status WriteKeyFiles(const std::string& path, const CurveKeyPair& pair, const std::string& label) {
  struct stat st;
  if (::stat((path + kPublicSuffix).c_str(), &st) == 0) {
    return Status::Conflict("key file " + path + kPublicSuffix, "exists already; not overwritten");
  }
  Status secret = WriteNewFile(path + kSecretSuffix,
                               "# stationsync CURVE secret key: " + label +
                                   "\n# Keep this file private (mode 0600): whoever reads it can speak as " + label +
                                   ".\npublic-key = \"" + pair.public_key + "\"\nsecret-key = \"" + pair.secret_key +
                                   "\"\n",
                               0600);
  if (!secret.ok()) return secret;
  Status pub = WriteNewFile(path + kPublicSuffix,
                            "# stationsync CURVE public key: " + label + "\npublic-key = \"" + pair.public_key + "\"\n",
                            0644);
  if (!pub.ok()) ::unlink((path + kSecretSuffix).c_str());
  return pub;
}

Result<std::string> ReadPublicKey(const std::string& file_or_key) {
  // A file first: a 40-character path can look like a Z85 key ('/', '.'
  // and '-' are in its alphabet); a name ending .key is always a file.
  struct stat st;
  const bool named_file = file_or_key.size() > 4 && (file_or_key.rfind(kPublicSuffix) == file_or_key.size() - 4 ||
                                                     file_or_key.find(kSecretSuffix) != std::string::npos);
  if (!named_file && ::stat(file_or_key.c_str(), &st) != 0 && IsZ85Key(file_or_key)) return file_or_key;
  auto fields = ReadKeyFields(file_or_key);
  if (!fields.ok()) {
    if (fields.status().code() == Code::kNotFound) {
      return Status::InvalidArgument("public key '" + file_or_key + "'",
                                     "neither a 40-character Z85 key nor a readable key file");
    }
    return fields.status();
  }
  auto it = fields->find("public-key");
  if (it == fields->end()) return Status::InvalidArgument("key file " + file_or_key, "has no public-key line");
  if (!IsZ85Key(it->second)) {
    return Status::InvalidArgument("key file " + file_or_key, "its public-key is not a 40-character Z85 key");
  }
  return it->second;
}

Result<CurveKeyPair> ReadSecretKeyFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::NotFound("secret key file " + path, std::strerror(errno));
  if (st.st_mode & 077) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::InvalidArgument("secret key file " + path,
                                   std::string("is readable by group or others (mode ") + mode +
                                       "); run chmod 600 on it, and replace the key if others may have read it");
  }
  auto fields = ReadKeyFields(path);
  if (!fields.ok()) return fields.status();
  auto secret = fields->find("secret-key");
  if (secret == fields->end() || !IsZ85Key(secret->second)) {
    return Status::InvalidArgument("secret key file " + path, "has no 40-character Z85 secret-key line");
  }
  auto derived = PublicKeyOf(secret->second);
  if (!derived.ok()) return Status::InvalidArgument("secret key file " + path, derived.status().message());
  auto pub = fields->find("public-key");
  if (pub != fields->end() && pub->second != *derived) {
    return Status::InvalidArgument("secret key file " + path, "its public-key does not belong to its secret-key");
  }
  return CurveKeyPair{*derived, secret->second};
}

Result<CurveKeyPair> LoadOrCreateKeyPair(const std::string& dir, const std::string& name, const std::string& label,
                                         bool* created) {
  *created = false;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::IOError("key folder " + dir, std::strerror(errno));
  }
  const std::string base = dir + "/" + name;
  struct stat st;
  if (::stat((base + kSecretSuffix).c_str(), &st) == 0) return ReadSecretKeyFile(base + kSecretSuffix);
  auto pair = NewCurveKeyPair();
  if (!pair.ok()) return pair.status();
  // A public file without its secret one is a leftover: replace it.
  ::unlink((base + kPublicSuffix).c_str());
  if (Status s = WriteKeyFiles(base, *pair, label); !s.ok()) return s;
  *created = true;
  return pair;
}

}  // namespace station::security
