#include "tools/stationctl/csv_file.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "core/csv.h"

namespace station {
namespace {

Status SyncFd(int fd, const std::string& what) {
  if (::fsync(fd) != 0) return Status::IOError("fsync " + what, std::strerror(errno));
  return Status::OK();
}

}  // namespace

void CsvDocument::AddRecord(const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) text_ += ',';
    AppendCsvField(text_, fields[i]);
  }
  text_ += "\r\n";
  ++records_;
}

Status WriteFileAtomically(const std::string& path, const std::string& bytes, bool overwrite) {
  struct stat st;
  if (!overwrite && ::stat(path.c_str(), &st) == 0) {
    return Status::Conflict(path + " exists", "add --force to overwrite it");
  }
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return Status::IOError("create " + tmp, std::strerror(errno));
  Status s;
  for (std::size_t done = 0; done < bytes.size() && s.ok();) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      s = Status::IOError("write " + tmp, std::strerror(errno));
    } else {
      done += static_cast<std::size_t>(n);
    }
  }
  if (s.ok()) s = SyncFd(fd, tmp);
  if (::close(fd) != 0 && s.ok()) s = Status::IOError("close " + tmp, std::strerror(errno));
  if (s.ok()) {
    int rc = ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), overwrite ? 0 : RENAME_NOREPLACE);
    if (rc != 0 && errno == EINVAL && !overwrite) {
      // A file system without RENAME_NOREPLACE: the check above has to do.
      rc = ::rename(tmp.c_str(), path.c_str());
    }
    if (rc != 0 && errno == EEXIST) {
      s = Status::Conflict(path + " exists", "add --force to overwrite it");
    } else if (rc != 0) {
      s = Status::IOError("rename " + tmp + " to " + path, std::strerror(errno));
    }
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  // The rename itself survives a crash once the folder is synced.
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Status::IOError("open " + dir, std::strerror(errno));
  s = SyncFd(dir_fd, dir);
  ::close(dir_fd);
  return s;
}

int WriteCsvReport(const CsvDocument& csv, const std::string& path, bool overwrite) {
  if (Status s = WriteFileAtomically(path, csv.text(), overwrite); !s.ok()) {
    std::cerr << "stationctl: " << s.ToString() << "\n";
    return 1;
  }
  const std::size_t rows = csv.records() > 0 ? csv.records() - 1 : 0;
  std::cout << rows << (rows == 1 ? " row" : " rows") << " written to " << path << "\n";
  return 0;
}

}  // namespace station
